// Process resource figures for reports and benchmarks.

import Foundation

public enum ResourceUsage {
    /// Peak resident set size of this process in bytes (VmHWM in /proc/self/status), or
    /// nil where that file is missing.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }
}
