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
                for dtype in [DType.float32, .bfloat16] {
                    let model = try LoadedGenerator.random(GeneratorConfig(size: size), seed: 0).generator.to(dtype: dtype)
                    let input = try wPlus.to(dtype: dtype)
                    let image = try withInferenceMode { try model.synthesis(input).to(dtype: .float32) }
                    let n = iterations(size)
                    let start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<n { _ = try withInferenceMode { try model.synthesis(input) } }
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(n)
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
