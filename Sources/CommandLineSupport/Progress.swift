import Foundation

/// Progress of a long command on standard error: redrawn in place on a terminal (about once a second), a line
/// every few seconds when standard error is a file or a pipe, nothing for runs shorter than a second, and
/// nothing at all under `--quiet`. A background heartbeat keeps it alive while one long library call runs.
package final class Progress: @unchecked Sendable {
    /// The process's progress line.
    package static let shared = Progress()

    private let lock = NSLock()
    private var enabled = true
    private var task: String? = nil
    private var detail = ""
    private var fraction: Double? = nil
    private var started = Date()
    private var lastDrawn = Date.distantPast
    private var drewOnTerminal = false
    private var thread: Thread? = nil
    private let isTerminal = isatty(STDERR_FILENO) == 1
    /// Seconds between lines when standard error is not a terminal.
    private let fileInterval = 5.0

    /// Turns progress output on or off (`--quiet`).
    package func setEnabled(_ on: Bool) { lock.withLock { enabled = on } }

    /// Starts (or renames) the current task, e.g. "computing the NTK".
    package func begin(_ name: String, detail: String = "") {
        lock.withLock {
            if task == nil { started = Date() }
            task = name
            self.detail = detail
            fraction = nil
            if thread == nil {
                let t = Thread { [weak self] in self?.heartbeat() }
                t.stackSize = 1 << 18
                thread = t
                t.start()
            }
        }
    }

    /// Updates the current task: a fraction in [0, 1] if known, and a short detail ("step 120, s = 0.4").
    package func update(fraction: Double? = nil, _ detail: String) {
        lock.withLock {
            self.fraction = fraction
            self.detail = detail
        }
        if isTerminal { draw(force: false) }
    }

    /// Ends the progress display (clears the terminal line).
    package func end() {
        lock.withLock {
            if drewOnTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            drewOnTerminal = false
            task = nil
        }
    }

    private func heartbeat() {
        while true {
            Thread.sleep(forTimeInterval: 0.25)
            draw(force: false)
        }
    }

    private func draw(force: Bool) {
        lock.withLock {
            guard enabled, let task else { return }
            let now = Date()
            let elapsed = now.timeIntervalSince(started)
            guard elapsed >= 1 else { return }
            let interval = isTerminal ? 0.2 : fileInterval
            guard force || now.timeIntervalSince(lastDrawn) >= interval else { return }
            lastDrawn = now
            var text = "\(task)"
            if let fraction, fraction.isFinite { text += String(format: " %3.0f%%", 100 * min(max(fraction, 0), 1)) }
            if !detail.isEmpty { text += "  \(detail)" }
            text += String(format: "  (%.0f s)", elapsed)
            if isTerminal {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
                drewOnTerminal = true
            } else {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
    }
}
