/// A Python dict or OrderedDict: keys of any hashable kind, kept in insertion order.
public struct PickleDict: Sendable, RandomAccessCollection {
    public typealias Element = (key: PickleValue, value: PickleValue)

    private let entries: [Element]
    private let stringIndex: [String: Int]
    /// What BUILD set on the dict object itself, such as the `_metadata` PyTorch attaches to state dicts.
    public let state: PickleValue?

    /// `entries` must already hold each key once (the unpickler merges repeated keys as Python does).
    init(_ entries: [Element], state: PickleValue? = nil) {
        self.entries = entries
        self.state = state
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            if case .string(let key) = entry.key { index[key] = i }
        }
        stringIndex = index
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }
    public subscript(position: Int) -> Element { entries[position] }

    /// The value under a string key, if any.
    public subscript(key: String) -> PickleValue? { stringIndex[key].map { entries[$0].value } }

    /// The keys, in insertion order.
    public var keys: [PickleValue] { entries.map(\.key) }
    /// The values, in insertion order.
    public var values: [PickleValue] { entries.map(\.value) }

    /// The string keys, in order (other keys are skipped).
    public var stringKeys: [String] {
        entries.compactMap { if case .string(let key) = $0.key { key } else { nil } }
    }
}
