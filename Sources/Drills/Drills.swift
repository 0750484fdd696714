/// Drills: game days as a command (workload, fault, measurement of detection time, RTO and RPO, report),
/// DESIGN.md §6. The target exists so that the layout shows the architecture; its code comes with the issue
/// that builds it.
public enum Drills {}
