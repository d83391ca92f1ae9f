import ArgumentParser

/// "0-7,12" -> [0, 1, ..., 7, 12]: non-negative integers (seeds, w+ rows), in the order given.
struct SeedList {
    let values: [Int]

    /// More than this many values is a typo, not a run.
    static let maxCount = 1_000_000

    /// Parses the list; the error says what is wrong with it (ArgumentParser adds the flag).
    static func parse(_ argument: String) throws -> SeedList {
        var values: [Int] = []
        func number(_ text: Substring) throws -> Int {
            guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else {
                throw ValidationError("'\(text)' is not a whole number >= 0 (write lists as 0-7,12)")
            }
            guard let value = Int(text) else { throw ValidationError("\(text) is larger than \(Int.max)") }
            return value
        }
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.hasPrefix("-") else { throw ValidationError("\(part) is negative; values are 0 or more") }
            let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let first = try number(bounds[0])
            let last = bounds.count == 2 ? try number(bounds[1]) : first
            guard first <= last else { throw ValidationError("range \(part) runs backwards") }
            guard last - first < maxCount - values.count else {
                throw ValidationError("more than \(maxCount) values")
            }
            values.append(contentsOf: first...last)
        }
        return SeedList(values: values)
    }
}
