import Checkpoints
import Torch

/// Runs `body`, turning the errors of reading a network file and loading its weights into `CheckpointError`s
/// about `path`, so every message names the file.
func namingErrors<R>(of path: String, _ body: () throws -> R) throws -> R {
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
