/// The lab: a whole multi-region deployment on one machine (PostgreSQL clusters with streaming replication,
/// portals, edge, controller, WAN emulator), DESIGN.md §5. The target exists so that the layout shows the
/// architecture; its code comes with the issue that builds it.
public enum Lab {}
