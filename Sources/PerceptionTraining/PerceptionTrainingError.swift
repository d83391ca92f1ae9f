/// A perception training or evaluation failure, naming the setting or file at fault.
public struct PerceptionTrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
