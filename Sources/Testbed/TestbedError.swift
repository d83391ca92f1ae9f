/// Why the testbed cannot render or write: an unknown size, a bad count, an output that exists.
public struct TestbedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file or folder concerned, if any.
    public let path: String?
    public let message: String

    public init(path: String? = nil, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
