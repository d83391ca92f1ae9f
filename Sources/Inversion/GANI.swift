import Foundation
import Perception
import StyleGAN
import Torch

/// Gradient Adjusting Networks for domain inversion (GANI; Sheffi, Rotman & Wolf 2023): the generator is tuned
/// per image by small networks that read loss gradients. Each distinct styled-conv weight shape (c_out, c_in)
/// gets a `GradientModificationModule` M, shared by every conv of that shape (at 1024 the nine 512→512 convs
/// share one); ToRGB, modulation affines and mapping are untouched. The tuned weights are θ' = θ (1 + M(∂L/∂θ)).
///
/// No code was released; this follows the paper's description. Each step:
/// 1. the image loss L_e's gradient g = ∂L_e/∂θ of every styled conv at the pivot w, taken at the original
///    weights (`gradientAt: .original`, computed once) or at the current tuned weights (`.current`:
///    θ (1 + M(g_prev)) with the modules as they are now and the previous step's gradient; at step 0 the
///    original weights). With `detachGradient` (the default) g is a constant input; without it, under
///    `.current`, g stays a differentiable function of the modules through the weights it was taken at
///    (second order);
/// 2. θ' = θ (1 + M(g)), a differentiable function of the modules' parameters, substituted into the frozen
///    generator's synthesis (the generator is never mutated);
/// 3. eq. 5: λ_e L(I, G(w, θ')) + λ_l L(G(w_z, θ), G(w_z, θ')), w_z = mapping(z) for a fresh z ~ N(0, I) (the
///    locality term), both rendered with the generator's fixed noise;
/// 4. backpropagation into the modules only and a Ranger step (lr 1e-3).
///
/// The result is the pivot and the multiplicative deltas Δθ = M(g) of the final step's gradient under the
/// final modules, so `StyleGAN2Generator.applying(.multiplicative, deltas)` rebuilds the tuned generator.
public struct GANI {
    /// The paper's domains: they set the iterations, the reconstruction loss and the parsing term (`Options(domain:)`);
    /// the identity network is the caller's (ArcFace for faces, MoCo otherwise; see `imageLoss`).
    public enum Domain: String, Codable, CaseIterable, Sendable {
        /// CelebA-HQ on FFHQ.
        case faces
        /// AFHQ-Wild (the paper inverts it in W: no W+ encoder exists for it).
        case wild
        /// Stanford Cars.
        case cars
        /// LSUN Church.
        case churches
        /// LSUN Horses.
        case horses
    }

    /// Where the gradient that the modules read is taken (the paper leaves this open).
    public enum GradientPoint: String, Codable, Sendable {
        case current, original
    }

    /// L_rec of eq. 1.
    public enum Reconstruction: Codable, Equatable, Sendable {
        /// Mean squared error (faces and animals).
        case l2
        /// Smooth-L1 with this beta (cars, churches, horses: 0.1).
        case smoothL1(beta: Double)
    }

    public struct Options: Codable, Equatable, Sendable {
        /// Tuning iterations (Table 1: faces and wild 300, cars 400, churches and horses 800).
        public var steps = 300
        /// Ranger's learning rate.
        public var lr = 1e-3
        /// Residual blocks L per module.
        public var blocks = 1
        /// `.original` reconstructed slightly better than `.current` on the tiny test generator, at about two
        /// thirds of the cost per step.
        public var gradientAt: GradientPoint = .original
        /// Treat the gradient as a constant input (see the type's documentation).
        public var detachGradient = true
        public var reconstruction: Reconstruction = .l2
        /// Table 1's columns λe, λl of eq. 5 (image and locality terms) and λ1..λ4 of eq. 1 (reconstruction, LPIPS,
        /// identity, face parsing), as the paper prints them: 1.0, 0.2, 1.0, 0.8, 0.1, 1.0.
        public var imageWeight = 1.0
        public var localityWeight = 0.2
        public var reconstructionWeight = 1.0
        public var lpipsWeight = 0.8
        public var identityWeight = 0.1
        public var parsingWeight = 1.0
        /// The pivot projection when `tune` is given no pivot.
        public var projector = Projector.Options.pti
        /// Fresh z that `Result.localityPSNR` averages over (0 skips the measurement).
        public var evaluationSamples = 8
        public var seed: UInt64 = 0

        public init() {}

        /// Table 1's row for `domain`: every domain shares the weights; cars, churches and horses reconstruct with
        /// smooth-L1 (beta 0.1) and have no face-parsing term ("-" in λ4); faces and wild use L2 and λ4 = 1.0.
        public init(domain: Domain) {
            switch domain {
            case .faces, .wild: break
            case .cars: steps = 400
            case .churches, .horses: steps = 800
            }
            if [.cars, .churches, .horses].contains(domain) {
                reconstruction = .smoothL1(beta: 0.1)
                parsingWeight = 0
            }
        }

        public static var faces: Options { Options(domain: .faces) }
        public static var wild: Options { Options(domain: .wild) }
        public static var cars: Options { Options(domain: .cars) }
        public static var churches: Options { Options(domain: .churches) }
        public static var horses: Options { Options(domain: .horses) }
    }

    /// The identity-similarity network of eq. 1: ArcFace (IR-SE50) for faces, MoCo v2 elsewhere; or dlib's
    /// face-recognition ResNet for faces (ours, when ArcFace's weights are not at hand).
    public enum IdentityNetwork {
        case arcFace(IRSE50)
        case moco(MoCoLoss)
        case dlib(DlibFaceRecognition)
    }

    /// A styled conv's weight shape.
    public struct ConvShape: Hashable, Sendable, CustomStringConvertible {
        public let outChannels: Int
        public let inChannels: Int

        public init(outChannels: Int, inChannels: Int) {
            self.outChannels = outChannels
            self.inChannels = inChannels
        }

        public var description: String { "\(inChannels)->\(outChannels)" }
    }

    public struct Result {
        /// The pivot, w+ [1, L, D].
        public let pivot: Tensor
        /// Δθ by conv weight key ("conv1.conv.weight", "convs.i.conv.weight"), each [1, out, in, k, k]: θ' = θ (1 + Δθ).
        public let deltas: [String: Tensor]
        /// G(pivot, θ'), [1, 3, S, S].
        public let image: Tensor
        /// Total loss (eq. 5) of each step, before its update.
        public let lossCurve: [Double]
        /// Mean PSNR (dB) between G(w_z, θ) and G(w_z, θ') for fresh w_z = mapping(z).
        public let localityPSNR: Double
        /// The trained modules, one per entry of `GANI.sharedShapes`.
        public let modules: [GradientModificationModule]

        /// The inversion as a file: the pivot and multiplicative deltas.
        public func inversionFile(generatorSHA256: String, options: Options, seconds: Double) throws -> InversionFile {
            let metadata = InversionFile.Metadata(method: "gani", options: try Tuning.metadata(options),
                                                  generatorSHA256: generatorSHA256, imageSize: image.size(3),
                                                  seconds: seconds, lossCurve: lossCurve)
            return InversionFile(wPlus: try pivot.squeeze(0), deltas: (.multiplicative, deltas), metadata: metadata)
        }
    }

    public let generator: LoadedGenerator
    /// L of eqs. 1 and 5 (see `imageLoss(options:lpips:identity:parsing:)`).
    public let imageLoss: ImageLoss
    public let options: Options

    public init(generator: LoadedGenerator, imageLoss: ImageLoss, options: Options = Options()) {
        self.generator = generator
        self.imageLoss = imageLoss
        self.options = options
    }

    // MARK: shapes

    /// The styled convs' weight shapes in layer order (K = 1...numLayers), from the configuration alone.
    public static func convShapes(_ config: GeneratorConfig) -> [ConvShape] {
        let c = config.channels
        var shapes = [ConvShape(outChannels: c[0], inChannels: c[0])]
        for i in 1..<c.count {
            shapes.append(ConvShape(outChannels: c[i], inChannels: c[i - 1]))
            shapes.append(ConvShape(outChannels: c[i], inChannels: c[i]))
        }
        return shapes
    }

    /// The distinct shapes in order of first appearance: one module each.
    public static func sharedShapes(_ config: GeneratorConfig) -> [ConvShape] {
        var seen = Set<ConvShape>()
        return convShapes(config).filter { seen.insert($0).inserted }
    }

    /// Parameters of all modules for `config` with `blocks` residual blocks each.
    public static func parameterCount(_ config: GeneratorConfig, blocks: Int) -> Int {
        sharedShapes(config).reduce(0) { $0 + GradientModificationModule.parameterCount(channels: $1.inChannels, blocks: blocks) }
    }

    // MARK: loss

    /// Eq. 1 with the options' weights: λ1 L_rec + λ2 LPIPS + λ3 (1 − identity similarity) + λ4 face parsing.
    /// A term whose network is absent or whose weight is 0 is left out.
    ///
    /// ArcFace reads pSp's ID-loss view at 256 pixels (average-pooled from larger images, bilinear from smaller
    /// ones). The parsing term is the paper's L_FP: the cosine distances of the five contracting-path features of
    /// the U-Net parser (E2Style's, at 256 pixels), summed over the features and averaged over the batch. Targets
    /// go through the networks without gradients.
    public static func imageLoss(options: Options, lpips: LPIPS? = nil, identity: IdentityNetwork? = nil,
                                 parsing: UNetFaceParser? = nil) -> ImageLoss
    {
        var terms: [ImageLoss.Term] = []
        /// 1 - cos of unit embeddings, averaged over the batch; targets embedded without gradients.
        func cosineTerm(_ embed: @escaping (Tensor) throws -> Tensor) -> ImageLoss.Term {
            ImageLoss.Term(.id, weight: options.identityWeight) { x, y in
                let target = try withNoGrad { try embed(y) }
                return try (1 - (embed(x) * target).sum([1])).mean()
            }
        }
        switch options.reconstruction {
        case .l2: terms.append(ImageLoss.l2(weight: options.reconstructionWeight))
        case .smoothL1(let beta): terms.append(ImageLoss.smoothL1(beta: beta, weight: options.reconstructionWeight))
        }
        if let lpips { terms.append(ImageLoss.lpips(lpips, weight: options.lpipsWeight)) }
        switch identity {
        case .arcFace(let net):
            terms.append(cosineTerm { try net.idLossEmbedding(resized256($0)) })
        case .moco(let net):
            terms.append(ImageLoss.Term(.id, weight: options.identityWeight) { x, y in try net(x, y) })
        case .dlib(let net):
            // dlib's unit descriptors of the aligned faces' chips.
            terms.append(cosineTerm { try net.idLossEmbedding($0) })
        case nil: break
        }
        if let parsing {
            terms.append(ImageLoss.Term(.parsing, weight: options.parsingWeight) { x, y in
                try parsingDistance(parsing, x, y)
            })
        }
        return ImageLoss(terms: terms.filter { $0.weight != 0 })
    }

    /// L_FP: Σ over the parser's five contracting-path features of (1 − cos(f(x), f(y))), averaged over the batch;
    /// images [N, 3, S, S] in [-1, 1] are brought to 256 first.
    public static func parsingDistance(_ parser: UNetFaceParser, _ x: Tensor, _ y: Tensor) throws -> Tensor {
        let target = try withNoGrad { try parser(resized256(y)) }
        let features = try parser(resized256(x))
        let distances = try zip(features, target).map { try 1 - F.cosineSimilarity($0, $1, dim: 1, eps: 1e-8) }  // [N] each
        return try distances.dropFirst().reduce(distances[0]) { try $0 + $1 }.mean()
    }

    /// [N, 3, S, S] -> [N, 3, 256, 256] for the ID loss.
    static func resized256(_ x: Tensor) throws -> Tensor {
        let size = x.size(2)
        if size == 256 { return x }
        if size > 256 { return try F.adaptiveAvgPool2d(x, (256, 256)) }
        return try F.interpolate(x, size: (256, 256), mode: .bilinear, alignCorners: false)
    }

    // MARK: tuning

    /// Inverts `target` [1, 3, S, S] in [-1, 1]: projects it for a pivot unless one is given (w [1, D] or
    /// w+ [1, L, D]), then trains the modules. `progress(stage, step, loss, image)` follows both stages.
    public func tune(target: Tensor, pivot given: Tensor? = nil,
                     progress: (TuningStage, Int, Double, Tensor) throws -> Void = { _, _, _, _ in }) throws -> Result
    {
        let g = generator.generator
        try Tuning.checkTarget(target, size: g.config.size)
        guard options.steps >= 0, options.blocks > 0, options.lr > 0 else {
            throw TorchError("GANI needs steps >= 0, blocks > 0 and a positive learning rate")
        }
        try g.freeze()
        let target = try target.detach()
        let pivot = try Tuning.pivot(given, target: target, generator: g, loss: imageLoss, projector: options.projector,
                                     progress: progress)
        let tuner = try Tuner(generator: g, options: options, pivot: pivot, target: target, loss: imageLoss)
        let rng = try Torch.Generator(seed: options.seed &+ 1)
        let optimizer = try Ranger(tuner.modules.flatMap { $0.parameters() }, lr: options.lr)
        let original = try tuner.gradients(at: tuner.weights, createGraph: false)
        var previous: [Tensor]?
        var curve: [Double] = []
        for step in 0..<options.steps {
            let gradient = try tuner.modulesInput(original: original, previous: previous)
            let tuned = try tuner.tunedWeights(gradient)
            let image = try tuner.render(pivot, tuned)
            let reconstruction = try imageLoss(image, target).total
            let locality = try tuner.locality(tuned, rng: rng)
            let total = try reconstruction * options.imageWeight + locality * options.localityWeight
            try optimizer.zeroGrad()
            try total.backward()
            try optimizer.step()
            previous = try gradient.map { try $0.detach() }
            let value = try total.item()
            curve.append(value)
            try progress(.tuning, step + 1, value, image.detach())
        }
        let gradient = try withGrad { try tuner.modulesInput(original: original, previous: previous, final: true) }
        return try withNoGrad {
            var deltas: [String: Tensor] = [:]
            var weights: [Tensor] = []
            for (k, grad) in gradient.enumerated() {
                let delta = try tuner.modules[tuner.moduleOfLayer[k]].delta(forGradient: grad)
                deltas[StyleGAN2Generator.convWeightKey(layer: k + 1)] = delta
                weights.append(try tuner.weights[k] * (delta + 1))
            }
            let psnr = try Tuning.localityPSNR(frozen: g, samples: options.evaluationSamples, seed: options.seed &+ 2,
                                               device: target.device) { try tuner.render($0, weights) }
            for module in tuner.modules { try module.freeze() }
            return Result(pivot: pivot, deltas: deltas, image: try tuner.render(pivot, weights), lossCurve: curve,
                          localityPSNR: psnr, modules: tuner.modules)
        }
    }
}

/// One tuning run's state: the frozen generator's conv weights, the modules and the per-step computations.
private struct Tuner {
    let g: StyleGAN2Generator
    let options: GANI.Options
    let pivot: Tensor
    let target: Tensor
    let loss: ImageLoss
    /// θ of styled conv K at index K − 1, [1, out, in, k, k].
    let weights: [Tensor]
    let modules: [GradientModificationModule]
    /// Index into `modules` of each layer's module.
    let moduleOfLayer: [Int]

    init(generator g: StyleGAN2Generator, options: GANI.Options, pivot: Tensor, target: Tensor, loss: ImageLoss) throws {
        self.g = g
        self.options = options
        self.pivot = pivot
        self.target = target
        self.loss = loss
        weights = (1...g.numLayers).map { g.convWeight(layer: $0) }
        let shapes = GANI.convShapes(g.config)
        let shared = GANI.sharedShapes(g.config)
        let rng = try Torch.Generator(seed: options.seed)
        modules = try shared.map {
            try GradientModificationModule(channels: $0.inChannels, blocks: options.blocks, generator: rng)
                .to(device: target.device, dtype: target.dtype)
        }
        moduleOfLayer = shapes.map { shared.firstIndex(of: $0)! }
    }

    func render(_ wPlus: Tensor, _ convWeights: [Tensor]) throws -> Tensor {
        try g.synthesis(wPlus, noise: .const, convWeights: convWeights)
    }

    /// θ (1 + M(g)) per layer.
    func tunedWeights(_ gradients: [Tensor]) throws -> [Tensor] {
        try gradients.enumerated().map { k, grad in
            try weights[k] * (modules[moduleOfLayer[k]].delta(forGradient: grad) + 1)
        }
    }

    /// ∂L_e/∂θ' of every layer at conv weights `point`. Without `createGraph` the result is constant; with it, it
    /// stays a function of whatever `point` was computed from.
    func gradients(at point: [Tensor], createGraph: Bool) throws -> [Tensor] {
        let inputs = createGraph ? point : try point.map { try $0.detach().requiresGrad(true) }
        let value = try loss(render(pivot, inputs), target).total
        return try Torch.gradients(of: value, wrt: inputs, createGraph: createGraph).map { $0! }
    }

    /// The gradient the modules read this step (see `GANI`): the original weights' one, or the one at
    /// θ (1 + M(previous)) with the current modules. `final` computes the last one, after training, as a constant.
    func modulesInput(original: [Tensor], previous: [Tensor]?, final: Bool = false) throws -> [Tensor] {
        guard options.gradientAt == .current, let previous else { return original }
        if options.detachGradient || final {
            let point = try withNoGrad { try tunedWeights(previous) }
            return try gradients(at: point, createGraph: false)
        }
        return try gradients(at: tunedWeights(previous), createGraph: true)
    }

    /// L(G(w_z, θ), G(w_z, θ')) for one fresh w_z = mapping(z).
    func locality(_ tuned: [Tensor], rng: Torch.Generator) throws -> Tensor {
        let wPlus = try withNoGrad {
            let z = try Tensor.randn([1, g.config.styleDim], generator: rng).to(device: pivot.device, dtype: pivot.dtype)
            return try g.mapping(z).unsqueeze(1).repeat([1, g.nLatent, 1])
        }
        let reference = try withNoGrad { try g.synthesis(wPlus, noise: .const) }
        return try loss(render(wPlus, tuned), reference).total
    }
}
