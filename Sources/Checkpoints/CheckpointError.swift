import Torch

/// Why a checkpoint could not be read, written or navigated.
///
/// Every case carries the file (as the caller named it) and a message; `description` prints the file first,
/// e.g. "weights/generator.pt: truncated zip central directory".
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, read, written or renamed.
    case io(file: String, message: String)
    /// The bytes break the rules of the format (truncated, inconsistent, out of bounds).
    case invalid(file: String, message: String)
    /// The file is well formed but uses a feature this library deliberately does not read.
    case unsupported(file: String, message: String)
    /// A loaded value was asked for a key, index, attribute or type it does not have;
    /// `file` is empty when the value no longer knows which file it came from.
    case lookup(file: String, message: String)

    /// The file the error is about, as the caller named it.
    public var file: String {
        switch self {
        case .io(let file, _), .invalid(let file, _), .unsupported(let file, _), .lookup(let file, _): file
        }
    }

    /// What went wrong, without the file name.
    public var message: String {
        switch self {
        case .io(_, let message), .invalid(_, let message), .unsupported(_, let message), .lookup(_, let message):
            message
        }
    }

    public var description: String { file.isEmpty ? message : "\(file): \(message)" }

    /// The same error about `path`, for errors raised while navigating a value that no longer knows its file.
    public func naming(_ path: String) -> CheckpointError {
        guard file.isEmpty else { return self }
        switch self {
        case .io(_, let message): return .io(file: path, message: message)
        case .invalid(_, let message): return .invalid(file: path, message: message)
        case .unsupported(_, let message): return .unsupported(file: path, message: message)
        case .lookup(_, let message): return .lookup(file: path, message: message)
        }
    }
}

extension CheckpointError {
    /// Runs `body`, turning the errors of reading a file and loading its weights into `CheckpointError`s about
    /// `path`, so every message names the file.
    public static func naming<R>(_ path: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as CheckpointError {
            throw error.naming(path)
        } catch let error as StateDictError {
            throw CheckpointError.invalid(file: path, message: error.description)
        } catch let error as TorchError {
            throw CheckpointError.invalid(file: path, message: error.message)
        }
    }
}
