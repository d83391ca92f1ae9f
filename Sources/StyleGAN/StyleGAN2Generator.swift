import Torch

/// The StyleGAN2 generator in rosinality's layout (`style`, `input`, `conv1`, `to_rgb1`, `convs`, `to_rgbs`,
/// `noises`), which pSp, e4e, ReStyle, HyperStyle, CLCAE, E2Style and the Feature-Style encoder build on.
///
/// Layers are counted as in the F-space papers: K = 1 is `conv1` (4x4), K = 2 is `convs[0]`, K = 3 `convs[1]`,
/// and so on; K = 5 is the output of `convs[3]`, 512x16x16 at both 256 and 1024. The w+ code row i drives
/// styled conv i (row 0 drives conv1) and row i + 1 the ToRGB after it, as in the reference.
public final class StyleGAN2Generator: Module {
    public let config: GeneratorConfig
    /// PixelNorm then nMLP equalised linears (`style.1` ... `style.n`).
    public let style: Sequential
    public let input: ConstantInput
    public let conv1: StyledConv
    public let to_rgb1: ToRGB
    public let convs: ModuleList<StyledConv>
    public let to_rgbs: ModuleList<ToRGB>
    /// Fixed noise maps `noises.noise_0` ... (the checkpoint's "const" noise).
    public let noises: NoiseBuffers

    public init(_ config: GeneratorConfig, generator: Torch.Generator? = nil) throws {
        try config.validate()
        self.config = config
        let d = config.styleDim
        var mapping: [any Layer] = [PixelNorm()]
        for _ in 0..<config.nMLP {
            mapping.append(try EqualLinear(d, d, lrMul: config.lrMLP, activated: true, generator: generator))
        }
        style = try Sequential(mapping)
        let c = config.channels
        input = try ConstantInput(channels: c[0], generator: generator)
        let clamp = config.convClamp
        conv1 = try StyledConv(c[0], c[0], kernelSize: 3, styleDim: d, blurKernel: config.blurKernel, clamp: clamp,
                               generator: generator)
        to_rgb1 = try ToRGB(c[0], styleDim: d, upsample: false, blurKernel: config.blurKernel, clamp: clamp,
                            generator: generator)
        convs = try ModuleList()
        to_rgbs = try ModuleList()
        for i in 1..<c.count {
            try convs.append(StyledConv(c[i - 1], c[i], kernelSize: 3, styleDim: d, upsample: true,
                                        blurKernel: config.blurKernel, clamp: clamp, generator: generator))
            try convs.append(StyledConv(c[i], c[i], kernelSize: 3, styleDim: d, blurKernel: config.blurKernel,
                                        clamp: clamp, generator: generator))
            try to_rgbs.append(ToRGB(c[i], styleDim: d, blurKernel: config.blurKernel, clamp: clamp,
                                     generator: generator))
        }
        noises = try NoiseBuffers(config: config, generator: generator)
        super.init()
        try register(module: "style", style)
        try register(module: "input", input)
        try register(module: "conv1", conv1)
        try register(module: "to_rgb1", to_rgb1)
        try register(module: "convs", convs)
        try register(module: "to_rgbs", to_rgbs)
        try register(module: "noises", noises)
    }

    public var nLatent: Int { config.nLatent }
    public var numLayers: Int { config.numLayers }

    /// The styled conv of layer K (1-based, see the type's documentation).
    func styledConv(_ k: Int) -> StyledConv { k == 1 ? conv1 : convs[k - 2] }

    /// Spatial size of layer K's output.
    public func resolution(ofLayer k: Int) -> Int { 4 << (k / 2) }

    /// Channels of layer K's output.
    public func channels(ofLayer k: Int) -> Int { config.channels[k / 2] }

    // MARK: mapping

    /// z [N, D] -> w [N, D].
    public func mapping(_ z: Tensor) throws -> Tensor {
        try expectInput(z, ["N", .size(config.styleDim)], name: "z")
        return try style(z)
    }

    /// The mean of mapping(z) over `samples` seeded z, the stand-in for a checkpoint without `latent_avg`.
    public func meanLatent(samples: Int = 10_000, seed: UInt64 = 0, batch: Int = 1_000) throws -> Tensor {
        let g = try Torch.Generator(seed: seed)
        return try withNoGrad {
            var sum = try Tensor.zeros([config.styleDim], device: input.input.device)
            var remaining = samples
            while remaining > 0 {
                let n = min(batch, remaining)
                let z = try Tensor.randn([n, config.styleDim], generator: g).to(device: input.input.device)
                sum = try sum + mapping(z).sum([0])
                remaining -= n
            }
            return try sum / Double(samples)
        }
    }

    // MARK: synthesis

    /// Synthesises images [N, 3, size, size] from w+ codes [N, nLatent, D].
    ///
    /// Large batches run in chunks whose widest activation stays under `chunkBytes`: the same images (noise maps
    /// are drawn for the whole batch first), but a 1024 batch of 8 in float32 otherwise streams 1 GiB tensors
    /// through every elementwise pass and runs 40% slower per image than one image at a time.
    ///
    /// `compute` is the dtype activations and convolutions run in (w+'s by default); with bfloat16 on a float32
    /// w+ the styles, demodulation and RGB path stay float32 (mixed precision).
    public func synthesis(_ wPlus: Tensor, noise: NoiseMode = .const, feature: FeatureInjection? = nil,
                          compute: DType? = nil) throws -> Tensor
    {
        try synthesis(wPlus, noise: noise, feature: feature, compute: compute, chunkBytes: Self.chunkBytes)
    }

    func synthesis(_ wPlus: Tensor, noise: NoiseMode, feature: FeatureInjection?, compute: DType?, chunkBytes: Int)
        throws -> Tensor
    {
        try expectInput(wPlus, ["N", .size(nLatent), .size(config.styleDim)], name: "w+")
        let n = wPlus.size(0)
        let dtype = compute ?? wPlus.dtype
        let chunk = max(1, chunkBytes / (widestActivation * dtype.byteSize))
        guard n > chunk else {
            return try run(wPlus, noise: noise, feature: feature, stopAfter: nil, compute: dtype) { _ in }
        }
        let maps = try noise.maps(for: self, batch: n, dtype: dtype, device: wPlus.device)
        let images = try stride(from: 0, to: n, by: chunk).map { start in
            let end = min(start + chunk, n)
            let part = { (t: Tensor) in t.size(0) == 1 ? t : try t.slice(0, start, end) }
            let f = try feature.map { FeatureInjection(layer: $0.layer, tensor: try part($0.tensor), blend: $0.blend) }
            return try run(wPlus.slice(0, start, end), noise: .explicit(maps.map(part)), feature: f, stopAfter: nil,
                           compute: dtype) { _ in }
        }
        return try Tensor.cat(images, dim: 0)
    }

    /// The largest activation of one image, in elements (the last styled conv's output).
    var widestActivation: Int { (1...numLayers).map { channels(ofLayer: $0) * resolution(ofLayer: $0) * resolution(ofLayer: $0) }.max()! }

    /// The activation size a batch chunk may reach (see `synthesis`).
    static let chunkBytes = 256 << 20

    /// The output of layer K (see the type's documentation) for w+ codes: [N, C_K, R_K, R_K].
    public func feature(atLayer k: Int, _ wPlus: Tensor, noise: NoiseMode = .const) throws -> Tensor {
        try checkLayer(k)
        var captured: Tensor?
        _ = try run(wPlus, noise: noise, feature: nil, stopAfter: k) { event in
            if case .feature(let layer, let x) = event, layer == k { captured = x }
        }
        return try captured!.contiguous()
    }

    /// Synthesis that reports every styled-conv output and every running RGB skip as it goes (in NHWC memory:
    /// call `contiguous()` before viewing them flat).
    public func synthesis(_ wPlus: Tensor, noise: NoiseMode = .const, feature: FeatureInjection? = nil,
                          compute: DType? = nil, observe: (SynthesisEvent) throws -> Void) throws -> Tensor
    {
        try run(wPlus, noise: noise, feature: feature, stopAfter: nil, compute: compute, observe: observe)
    }

    /// One pass through the synthesis network. Stops after layer `stopAfter` when given (the image is then the
    /// RGB so far and should be ignored); `convWeights[K - 1]`, when given and not nil, replaces styled conv K's
    /// weight (`WeightOverrides.swift`).
    func run(_ wPlus: Tensor, noise: NoiseMode, feature: FeatureInjection?, stopAfter: Int?, compute: DType? = nil,
             convWeights: [Tensor?]? = nil, observe: (SynthesisEvent) throws -> Void) throws -> Tensor
    {
        try expectInput(wPlus, ["N", .size(nLatent), .size(config.styleDim)], name: "w+")
        if let feature { try checkInjection(feature, batch: wPlus.size(0)) }
        let n = wPlus.size(0)
        let dtype = compute ?? wPlus.dtype
        let maps = try noise.maps(for: self, batch: n, dtype: dtype, device: wPlus.device)
        // Activations stay NHWC in memory: oneDNN's convolutions and the depthwise blur run fastest on it.
        var out = try input(batch: n).to(dtype: dtype).channelsLast()
        var skip: Tensor?
        for k in 1...numLayers {
            let conv = styledConv(k)
            out = try conv.forward(out, style: wPlus.select(1, k - 1), noise: maps[k - 1], weight: convWeights?[k - 1])
            try observe(.feature(layer: k, out))
            if k == stopAfter { return out }
            // ToRGB follows conv1 and every second conv after it, reading the next w+ row.
            if k % 2 == 1 {
                let rgbIndex = k / 2
                let toRGB = rgbIndex == 0 ? to_rgb1 : to_rgbs[rgbIndex - 1]
                skip = try toRGB(out, style: wPlus.select(1, k), skip: skip)
                try observe(.rgb(index: rgbIndex, skip!))
            }
            // As in the Feature-Style encoder's and CLCAE's generators, the feature replaces layer K's output as
            // the input of layer K + 1; the ToRGB reading layer K still sees the generator's own output.
            if let feature, feature.layer == k {
                let f = try feature.tensor.to(dtype: dtype)
                out = try feature.blend == 1 ? f : out * (1 - feature.blend) + f * feature.blend
            }
        }
        // The RGB path runs in float32 under half precision (see `ToRGB`); the image comes back in `dtype`.
        return try skip!.to(dtype: dtype).contiguous()
    }

    func checkLayer(_ k: Int) throws {
        guard (1...numLayers).contains(k) else {
            throw TorchError("layer K must be in 1...\(numLayers) for a \(config.size) generator, got \(k)")
        }
    }

    private func checkInjection(_ f: FeatureInjection, batch: Int) throws {
        guard (1..<numLayers).contains(f.layer) else {
            throw TorchError("a feature can replace layers 1...\(numLayers - 1) of a \(config.size) generator, got \(f.layer)")
        }
        let expected = [batch, channels(ofLayer: f.layer), resolution(ofLayer: f.layer), resolution(ofLayer: f.layer)]
        guard f.tensor.shape == expected || f.tensor.shape == [1] + expected.dropFirst() else {
            throw TorchError("feature for layer \(f.layer) must be \(expected), got \(f.tensor.shape)")
        }
        guard (0...1).contains(f.blend) else { throw TorchError("feature blend must be in [0, 1], got \(f.blend)") }
    }
}

/// What `synthesis(_:observe:)` reports: the output of styled conv `layer` (K, 1-based), or the running RGB
/// image after ToRGB `index` (0 = `to_rgb1`).
public enum SynthesisEvent {
    case feature(layer: Int, Tensor)
    case rgb(index: Int, Tensor)
}

/// Replace layer K's output x by (1 - blend) x + blend f as the input of layer K + 1 (the F space of the
/// Feature-Style encoder and CLCAE; their `features_in[K]` with `feature_scale`).
public struct FeatureInjection {
    public var layer: Int
    /// [N or 1, C_K, R_K, R_K]
    public var tensor: Tensor
    public var blend: Double

    public init(layer: Int, tensor: Tensor, blend: Double = 1) {
        self.layer = layer
        self.tensor = tensor
        self.blend = blend
    }
}

extension StyleGAN2Generator {
    /// Floating-point operations of one synthesis pass (2 per multiply-add of the modulated convolutions and
    /// ToRGB layers; mapping, modulation, blur and noise are not counted).
    public func synthesisFLOPs(batch: Int) -> Int {
        var total = conv1.conv.flops(batch: batch, size: 4) + to_rgb1.conv.flops(batch: batch, size: 4)
        for (i, conv) in convs.enumerated() {
            let size = resolution(ofLayer: i + 2)
            total += conv.conv.flops(batch: batch, size: conv.conv.upsample ? size / 2 : size)
        }
        for (i, rgb) in to_rgbs.enumerated() { total += rgb.conv.flops(batch: batch, size: 8 << i) }
        return total
    }
}
