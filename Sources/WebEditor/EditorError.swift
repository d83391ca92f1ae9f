/// A request the editor refuses, with the HTTP status that says why; its message names the problem for the page.
public struct EditorError: Error, CustomStringConvertible, Sendable {
    public enum Status: Int, Sendable {
        case badRequest = 400, notFound = 404, conflict = 409, payloadTooLarge = 413, unsupportedMediaType = 415,
             unprocessable = 422, tooManyRequests = 429, internalError = 500
    }

    public let status: Status
    public let message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}
