/// The edge: the global traffic manager (our stand-in for AWS Global Accelerator and Route 53 latency
/// routing), DESIGN.md §1–2. The target exists so that the layout shows the architecture; its code comes
/// with the issue that builds it.
public enum Edge {}
