import ArgumentParser

/// Range checks of numeric flags, with a message that names the flag, the side of the range it missed and the
/// value given: "--batch must be at least 1, got -2", "--threads must be at most 8 (...), got 100000".
enum Bounds {
    static func check<T: Comparable>(_ flag: String, _ value: T, _ range: ClosedRange<T>, _ why: String = "") throws {
        try check(flag, value, range, why, show: { "\($0)" })
    }

    /// Finite numbers: NaN and infinity are outside every finite range.
    static func check(_ flag: String, _ value: Double, _ range: ClosedRange<Double>, _ why: String = "") throws {
        guard value.isFinite else { throw ValidationError("\(flag) must be a finite number, got \(value)") }
        try check(flag, value, range, why, show: { String(format: "%g", $0) })
    }

    private static func check<T: Comparable>(_ flag: String, _ value: T, _ range: ClosedRange<T>, _ why: String,
                                             show: (T) -> String) throws {
        if value < range.lowerBound {
            let bound = show(range.lowerBound)
            throw ValidationError("\(flag) must be \(bound == "0" ? "0 or more" : "at least \(bound)")\(why), got \(show(value))")
        }
        if value > range.upperBound {
            throw ValidationError("\(flag) must be at most \(show(range.upperBound))\(why), got \(show(value))")
        }
    }
}
