/// Why an inversion could not run or did not finish. Each case's description is one sentence for a person.
public enum InversionError: Error, Equatable, CustomStringConvertible {
    /// A setting that does not fit the method (unknown loss term, a term the method cannot use, bad counts).
    case invalidOption(String)
    /// Network files the chosen losses need are missing (all of them, in one error).
    case missingWeights([NetworkWeights])
    /// The input image could not be used (`path`: what is wrong).
    case badInput(path: String, reason: String)
    /// The caller's cancellation callback asked to stop.
    case cancelled

    public var description: String {
        switch self {
        case .invalidOption(let message): message
        case .missingWeights(let files):
            files.map { "\($0.purpose) needs \($0.fileName)" }.joined(separator: "; ")
                + " (give --weights DIR holding \(files.count == 1 ? "it" : "them"), or each by its own flag); "
                + "choose other --losses or --pivot-losses to run without \(files.count == 1 ? "it" : "them")"
        case .badInput(let path, let reason): "\(path): \(reason)"
        case .cancelled: "the inversion was cancelled"
        }
    }
}
