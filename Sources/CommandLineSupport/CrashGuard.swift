import Foundation
import TangentFlow

/// Process-wide signal set-up for a command-line tool:
/// - SIGPIPE and SIGXFSZ are ignored, so a closed pipe or a file-size limit becomes an I/O error (exit 74) that
///   names the file, instead of killing the process;
/// - a last resort for bugs: a trap (SIGILL, SIGTRAP), SIGSEGV, SIGBUS, SIGFPE or SIGABRT prints one line and
///   exits with status 70 instead of dying by a signal (on an alternate stack, so a stack overflow is caught too).
///   Every such exit is a bug to fix; the hostile-input suite fails on any status 70.
package enum CrashGuard {
    nonisolated(unsafe) private static var installed = false
    /// The alternate signal stack, kept for the life of the process (held here so it is never reported leaked).
    nonisolated(unsafe) private static var alternateStack: UnsafeMutableRawPointer? = nil

    /// Installs the handlers once.
    package static func install() {
        guard !installed else { return }
        installed = true
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        let size = 1 << 16
        var stack = stack_t()
        alternateStack = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        stack.ss_sp = alternateStack
        stack.ss_size = size
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = crashHandler
            action.sa_flags = Int32(SA_ONSTACK) | Int32(bitPattern: UInt32(SA_RESETHAND))
            sigemptyset(&action.sa_mask)
            sigaction(sig, &action, nil)
        }
    }
}

private func crashHandler(_ sig: Int32) {
    // Only async-signal-safe calls here: write(2) and _exit(2).
    let text: StaticString = "Error: internal error (the process received a fatal signal); this is a bug, please report it with the command line\n"
    _ = write(STDERR_FILENO, text.utf8Start, text.utf8CodeUnitCount)
    _exit(70)
}

/// Removes the OpenMP runtime's stale registration files. LLVM's libomp registers each process in
/// `/dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid>` (or `/tmp/…`); when its `ftruncate` fails (a file-size limit) or the
/// process is killed, an empty file stays behind, and a later process that gets the same pid dies of SIGBUS
/// reading it at start-up. An empty file of ours or of a process that no longer exists is always stale.
package func removeStaleOpenMPRegistrations() {
    let uid = getuid(), me = getpid()
    for folder in ["/dev/shm", "/tmp"] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
        for name in names where name.hasPrefix("__KMP_REGISTERED_LIB_") {
            let parts = name.dropFirst("__KMP_REGISTERED_LIB_".count).split(separator: "_")
            guard parts.count == 2, let pid = Int32(parts[0]), let owner = UInt32(parts[1]), owner == uid else { continue }
            let path = folder + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size == 0 else { continue }
            if pid == me || (kill(pid, 0) != 0 && errno == ESRCH) { unlink(path) }
        }
    }
}

/// Starts the OpenMP runtime with standard error pointed at /dev/null: its start-up warnings (e.g. "Can't set
/// size of SHM" under a file-size limit) would otherwise come before a command's one-line error. Stale
/// registration files are removed first, and our own empty one (left when the runtime could not size it) at exit.
package func initializeRuntimeQuietly() {
    removeStaleOpenMPRegistrations()
    atexit { removeStaleOpenMPRegistrations() }
    fflush(nil)
    let saved = dup(STDERR_FILENO)
    let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
    if saved >= 0, null >= 0 { dup2(null, STDERR_FILENO) }
    _ = RuntimeInfo.current.openMPThreads
    if saved >= 0, null >= 0 { dup2(saved, STDERR_FILENO) }
    if saved >= 0 { close(saved) }
    if null >= 0 { close(null) }
}
