import Foundation
import StyleGAN
import Torch

/// Synthesis time of full-size generators with random weights, float32 and bfloat16.
enum GeneratorBenchmark {
    struct Row {
        let size: Int
        let batch: Int
        let dtype: DType
        let msPerImage: Double
        let gflops: Double
        /// PSNR of the bfloat16 image against the float32 one (nil for float32).
        let psnr: Double?
    }

    static func run(sizes: [(Int, [Int])], iterations: (Int) -> Int) throws -> [Row] {
        var rows: [Row] = []
        for (size, batches) in sizes {
            let loaded = try LoadedGenerator.random(GeneratorConfig(size: size), seed: 0)
            let g = loaded.generator
            for batch in batches {
                let wPlus = try withNoGrad {
                    try g.mapping(Tensor.randn([batch, g.config.styleDim], generator: Generator(seed: 1)))
                        .unsqueeze(1).repeat([1, g.nLatent, 1])
                }
                let flops = Double(g.synthesisFLOPs(batch: batch))
                var reference: Tensor?
                // bfloat16 is mixed precision: activations and convolutions in bfloat16 on the float32 generator,
                // whose styles and demodulation stay float32.
                for dtype in [DType.float32, .bfloat16] {
                    let image = try withInferenceMode { try g.synthesis(wPlus, compute: dtype).to(dtype: .float32) }
                    let seconds = try fastest(runs: iterations(size)) {
                        _ = try withInferenceMode { try g.synthesis(wPlus, compute: dtype) }
                    }
                    var psnr: Double?
                    if dtype == .float32 { reference = image } else if let reference { psnr = try PSNR.of(image, reference) }
                    rows.append(Row(size: size, batch: batch, dtype: dtype, msPerImage: seconds * 1e3 / Double(batch),
                                    gflops: flops / seconds / 1e9, psnr: psnr))
                }
            }
        }
        return rows
    }
}

/// PSNR in dB of two images in [-1, 1], over the [0, 1] range after clamping.
enum PSNR {
    static func of(_ a: Tensor, _ b: Tensor) throws -> Double {
        let x = try (a.clamp(min: -1, max: 1) + 1) / 2
        let y = try (b.clamp(min: -1, max: 1) + 1) / 2
        let mse = try (x - y).square().mean().item()
        return 10 * log10(1 / mse)
    }
}

/// Where synthesis time goes: milliseconds from one layer's output to the next (`--layers`), read from the
/// generator's own synthesis events, so the figures are those of the real forward pass (one pass over the whole
/// batch: the observing synthesis does not split batches into chunks).
enum LayerProfile {
    static func print(size: Int, batch: Int, dtype: DType) throws {
        let g = try LoadedGenerator.random(GeneratorConfig(size: size), seed: 0).generator
        let wPlus = try Tensor.randn([batch, g.nLatent, g.config.styleDim], generator: Generator(seed: 1))
        var times: [(String, Double)] = []
        for _ in 0..<2 {
            times = []
            var last = DispatchTime.now().uptimeNanoseconds
            _ = try withInferenceMode {
                try g.synthesis(wPlus, compute: dtype) { event in
                    let now = DispatchTime.now().uptimeNanoseconds
                    switch event {
                    case .feature(let k, let x): times.append(("conv K=\(k) \(x.size(1))x\(x.size(2))", Double(now - last) / 1e6))
                    case .rgb(let i, _): times.append(("to_rgb \(i)", Double(now - last) / 1e6))
                    }
                    last = now
                }
            }
        }
        Swift.print("\(size) batch \(batch) \(dtype): total \(fmt(times.map(\.1).reduce(0, +))) ms")
        for (name, ms) in times { Swift.print("  \(name): \(fmt(ms)) ms") }
    }
}
