import Foundation

/// A tiny shell process that stops the server when this process exits without stopping it.
///
/// A child process gets no notice when its parent dies (Foundation's `Process` cannot set `PR_SET_PDEATHSIG`), so
/// a crashed or killed test run would leave its servers running. The watchdog polls the parent every half second
/// with `kill -0`; when the parent is gone it sends the postmaster `SIGINT` (fast shutdown), then `SIGQUIT` if it is
/// still there five seconds later. It exits by itself when the postmaster goes away first, and a normal `stop()`
/// kills it by pid. A shell loop was chosen over a pipe-EOF trick because it does not depend on which file
/// descriptors other child processes inherit.
enum ParentWatchdog {
    /// The shell script, with the parent pid as `$1` and the postmaster pid as `$2`.
    static let script = """
        while kill -0 "$1" 2>/dev/null; do
            kill -0 "$2" 2>/dev/null || exit 0
            sleep 0.5
        done
        kill -INT "$2" 2>/dev/null || exit 0
        i=0
        while [ $i -lt 50 ] && kill -0 "$2" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
        kill -QUIT "$2" 2>/dev/null
        exit 0
        """

    /// Starts a watchdog that stops `postmaster` when `parent` exits.
    static func start(parent: Int32, postmaster: Int32) throws -> Process {
        let runner = ProgramRunner.asCurrentUser
        let shell = ProgramRunner.findInPath("sh", extra: ["/bin"]) ?? "/bin/sh"
        return try runner.spawn(
            shell,
            ["-c", script, "local-postgres-watchdog", String(parent), String(postmaster)],
            asServerUser: false,
            output: nil,
            onExit: { _ in }
        )
    }
}
