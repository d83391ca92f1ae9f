/// A failure found while running a command (bad file contents, missing weights): printed as
/// "Error: <message>" with a non-zero exit, without the usage text a `ValidationError` adds.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
