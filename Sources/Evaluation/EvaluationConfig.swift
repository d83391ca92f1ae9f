import Encoders
import Inversion
import Testbed

/// What `stylegan evaluate` measures: which methods, on how many held-out images, with how many optimisation steps,
/// and which attribute edits at which strengths. Named presets: `standard` (the papers' steps, the report in
/// docs/results.md) and `quick` (a few steps and images, for tests).
public struct EvaluationConfig: Codable, Equatable, Sendable {
    /// The rows, in the report's order.
    public var methods: [EvaluationEntry]
    /// Test images inverted by every method.
    public var count: Int
    /// Steps of the optimisation and tuning methods; nil: each method's published count.
    public var steps: Int?
    /// Steps of a projected tuning pivot; nil: the method's own.
    public var pivotSteps: Int?
    /// InterFaceGAN edits measured, each along its boundary.
    public var attributes: [TestbedAttribute]
    /// Edit strengths: InterFaceGAN offsets along the normal in standard deviations of the generator's samples
    /// along it (the testbed boundaries' unit), or in W units for boundary files without one; 0 is the
    /// reconstruction itself.
    public var strengths: [Double]
    /// Generated samples labelled by the attribute classifier to fit a boundary that no direction file gives, and
    /// mapped for the GANSpace components of the figures.
    public var directionSamples: Int
    /// Seed of the optimisations and of the boundary samples.
    public var seed: UInt64
    /// Images per method shown in the report's grids.
    public var gridCount: Int
    /// Also draw the classic figures of each method's first two inversions: GANSpace and SeFa components, style
    /// mixing, interpolation.
    public var figures: Bool

    /// Every method `stylegan evaluate` compares, in the papers' order: optimisation, tuning, then the encoders.
    public static let allMethods: [InversionMethod] = [
        .projector, .pti, .gani, .psp, .e4e, .restylePSP, .restyleE4E, .e2style, .fs, .clcae,
    ]

    /// The rows the papers' ablations add: E2Style's first stage alone (its Table 2: stages improve), CLCAE's w+
    /// without its feature (CLCAE_w+ in its Table 1).
    public static let ablations = [EvaluationEntry(.e2style, encoding: EncodingOptions(stages: 1)),
                                   EvaluationEntry(.clcae, wPlusOnly: true)]

    /// The edits of the papers' figures that the testbed draws: smile, eyes, glasses, pose.
    public static let editAttributes: [TestbedAttribute] = [.smile, .eyesOpen, .glasses, .yaw]

    /// The sweep of the reports and the demo, in deviations along the direction. The testbed's directions move their
    /// attribute clearly by one deviation; from two on the face loses its identity (ID to the input falls to about 0),
    /// so the sweep stops at 1.5.
    public static let editStrengths: [Double] = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5]

    /// The published steps on 4 test images, so that the run stays under half an hour on two CPU cores: the
    /// projector, PTI and GANI take about 1.2, 1.0 and 1.6 minutes per 64-pixel image there, the encoders a second.
    public static let standard = EvaluationConfig(
        methods: allMethods.map { EvaluationEntry($0) } + ablations, count: 4, steps: nil, pivotSteps: nil, attributes: editAttributes,
        strengths: editStrengths, directionSamples: 4000, seed: 0, gridCount: 6, figures: true)

    /// `stylegan demo`: four images, the optimisation and tuning methods at 50 steps (their pivots too), every edit.
    public static let demo = EvaluationConfig(
        methods: allMethods.map { EvaluationEntry($0) }, count: 4, steps: 50, pivotSteps: 50, attributes: editAttributes,
        strengths: editStrengths, directionSamples: 4000, seed: 0, gridCount: 4, figures: true)

    /// Two steps, two images, three strengths: every code path in seconds.
    public static let quick = EvaluationConfig(
        methods: allMethods.map { EvaluationEntry($0) }, count: 2, steps: 2, pivotSteps: 2, attributes: [.smile, .yaw],
        strengths: [-1, 0, 1], directionSamples: 64, seed: 0, gridCount: 2, figures: true)

    /// Checks the values a front end may have set; the message names the setting.
    public func validate() throws {
        guard !methods.isEmpty else { throw EvaluationError("no methods to evaluate") }
        guard Set(methods.map(\.description)).count == methods.count else { throw EvaluationError("a method is listed twice") }
        guard count >= 2 else { throw EvaluationError("count must be at least 2 (the Fréchet distance needs two images), got \(count)") }
        for (name, value) in [("steps", steps), ("pivot steps", pivotSteps)] {
            if let value, !(1...InversionSettings.maximumSteps).contains(value) {
                throw EvaluationError("\(name) must be in 1...\(InversionSettings.maximumSteps), got \(value)")
            }
        }
        guard strengths.allSatisfy(\.isFinite), strengths.contains(0) else {
            throw EvaluationError("strengths must be finite and include 0 (the reconstruction), got \(strengths)")
        }
        guard directionSamples >= 16 else { throw EvaluationError("direction samples must be at least 16, got \(directionSamples)") }
        guard gridCount >= 1 else { throw EvaluationError("grid count must be at least 1, got \(gridCount)") }
    }

    /// An entry's inversion settings under this evaluation: steps overridden, no alignment (the test renders are
    /// already the generator's crop), the testbed's stand-in networks.
    public func settings(for entry: EvaluationEntry) -> InversionSettings {
        let method = entry.method
        var settings = InversionSettings(method: method)
        settings.encoder = entry.encoding
        settings.align = false
        settings.seed = seed
        if method.family != .encoder { settings.steps = steps }
        if method.projectsPivot { settings.pivotSteps = pivotSteps }
        return settings.onTestbed
    }
}

/// A failure of the evaluation harness, with its reason.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
