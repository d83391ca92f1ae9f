/// Why a training run could not start, save or resume.
///
/// The description starts with the file or folder as the caller named it ("runs/ffhq: exists and is not a
/// folder"), so it can be shown to a user as it is.
public struct TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file or folder concerned; nil for problems of the options themselves.
    public let path: String?
    /// The problem, without the path.
    public let message: String

    public init(path: String? = nil, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
