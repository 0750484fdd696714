/// The runbook: the operations runbook rendered from the deployment's configuration and checked against the
/// real commands, DESIGN.md §1. The target exists so that the layout shows the architecture; its code comes
/// with the issue that builds it.
public enum Runbook {}
