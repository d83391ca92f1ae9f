import Encoders
import Inversion

/// One row of an evaluation: a method with its run-time settings, so that E2Style's stages, ReStyle's iterations,
/// the F-space methods' W+ part (CLCAE_w+ in CLCAE's Table 1) and CLCAE's foundation code (CLCAE_w in its Table 2)
/// are rows of their own. Spelled METHOD, METHOD:N (E2Style stages, ReStyle iterations), METHOD:w+ (Feature-Style,
/// CLCAE) or clcae:w.
public struct EvaluationEntry: Codable, Equatable, Sendable, CustomStringConvertible {
    public var method: InversionMethod
    public var encoding: EncodingOptions
    /// Renders w+ alone, without the encoder's feature.
    public var wPlusOnly: Bool

    public init(_ method: InversionMethod, encoding: EncodingOptions = EncodingOptions(), wPlusOnly: Bool = false) {
        self.method = method
        self.encoding = encoding
        self.wPlusOnly = wPlusOnly
    }

    public var description: String {
        if wPlusOnly { return "\(method.rawValue):w+" }
        if encoding.foundationCode == true { return "\(method.rawValue):w" }
        if let n = encoding.stages ?? encoding.iterations { return "\(method.rawValue):\(n)" }
        return method.rawValue
    }

    /// Parses the spelling above; underscores stand for hyphens (restyle_psp).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts[0].replacingOccurrences(of: "_", with: "-")
        guard let method = InversionMethod(rawValue: name), EvaluationConfig.allMethods.contains(method) else {
            throw EvaluationError("unknown method \(parts[0]); choose from "
                + EvaluationConfig.allMethods.map(\.rawValue).joined(separator: ","))
        }
        self.init(method)
        guard parts.count == 2 else { return }
        switch (method, parts[1]) {
        case (.fs, "w+"), (.clcae, "w+"):
            wPlusOnly = true
        case (.clcae, "w"):
            encoding.foundationCode = true
        case (.e2style, let n), (.restylePSP, let n), (.restyleE4E, let n):
            guard let count = Int(n), (1...InversionSettings.maximumIterations).contains(count) else {
                throw EvaluationError("\(text): the count after the colon must be in 1...\(InversionSettings.maximumIterations)")
            }
            if method == .e2style { encoding.stages = count } else { encoding.iterations = count }
        default:
            throw EvaluationError("\(text): only e2style:N, restyle-psp:N, restyle-e4e:N, fs:w+, clcae:w+ and clcae:w take a suffix")
        }
    }
}
