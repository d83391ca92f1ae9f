import Encoders
import Foundation
import Inversion
import StyleGAN
import Torch

/// Seconds per image of the inversion methods on this CPU, random weights (time does not depend on the values).
enum MethodBenchmark {
    /// Encoders at 256 input with the 1024 config-f generator for the iterative ones (ReStyle renders each
    /// iteration), float32 and bfloat16.
    static func encoders() throws -> [[String]] {
        var rows = [["method", "dtype", "s / image (encoder)", "s / image (with 1024 rendering)"]]
        let loaded = try LoadedGenerator.random(GeneratorConfig(size: 1024), seed: 0)
        let g = loaded.generator
        let avg = loaded.latentAvg
        let image = try Tensor.rand([1, 3, 256, 256]) * 2 - 1
        for dtype in [DType.float32, .bfloat16] {
            try g.to(dtype: dtype)
            let input = try image.to(dtype: dtype)
            let avgD = try avg.to(dtype: dtype)
            let averageImage = try withInferenceMode {
                try F.adaptiveAvgPool2d(g.synthesis(avgD.reshape([1, 1, -1]).expand([1, g.nLatent, 512])), (256, 256))
            }
            let methods: [(String, () throws -> any InversionEncoder)] = [
                ("psp", { try PSPEncoder(method: "psp", network: GradualStyleEncoder(styleCount: 18).to(dtype: dtype), latentAvg: avgD) }),
                ("e4e", { try PSPEncoder(method: "e4e", network: GradualStyleEncoder(styleCount: 18, readout: .e4eInference).to(dtype: dtype), latentAvg: avgD) }),
                ("restyle-psp (5 iterations)", { try ReStyleEncoder(method: "restyle-psp",
                    network: ReStyleBackboneEncoder(inputChannels: 6, styleCount: 18).to(dtype: dtype), latentAvg: avgD) }),
                ("e2style (1 stage)", { try E2StyleEncoder(firstStage: E2StyleStageEncoder(inputChannels: 3).to(dtype: dtype),
                                                           refineStages: [], latentAvg: avgD) }),
                ("fs", { try FeatureStyleEncoder(styleCount: 18, latentAvg: avgD).to(dtype: dtype) }),
                ("clcae", { try CLCAEEncoder(styleCount: 18, latentAvg: avg, averageImage: averageImage.to(dtype: .float32)).to(dtype: dtype) }),
            ]
            for (name, make) in methods {
                let encoder = try make()
                let encode = try time { _ = try withInferenceMode { try encoder.encode(input, generator: g) } }
                let total = try time {
                    try withInferenceMode {
                        let out = try encoder.encode(input, generator: g)
                        _ = try g.synthesis(out.wPlus, feature: out.feature)
                    }
                }
                rows.append([name, dtype.description, fmt(encode), fmt(total)])
            }
        }
        try g.to(dtype: .float32)
        return rows
    }

    /// One projector step (forward, backward, update) at 256 with the full-size generator, MSE loss.
    static func projectorStep() throws -> Double {
        let loaded = try LoadedGenerator.random(GeneratorConfig(size: 256), seed: 0)
        let target = try Tensor.rand([1, 3, 256, 256]) * 2 - 1
        var options = Projector.Options()
        options.steps = 3
        options.meanSamples = 1000
        options.wPlus = true
        let projector = Projector(generator: loaded.generator, loss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
        _ = try projector.project(target)
        options.steps = 5
        let timed = Projector(generator: loaded.generator, loss: ImageLoss(terms: [ImageLoss.l2()]), options: options)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try timed.project(target)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / 5
    }

    /// Seconds per tuning step of PTI and GANI at 256 (pivot given, MSE loss), from `steps` steps after a warm-up.
    static func tuningSteps(steps: Int = 3) throws -> (pti: Double, gani: Double) {
        let loaded = try LoadedGenerator.random(GeneratorConfig(size: 256), seed: 0)
        let target = try Tensor.rand([1, 3, 256, 256]) * 2 - 1
        let pivot = try loaded.latentAvg.reshape([1, -1])
        let loss = ImageLoss(terms: [ImageLoss.l2()])
        func perStep(_ run: (Int) throws -> Void) throws -> Double {
            try run(1)
            let start = DispatchTime.now().uptimeNanoseconds
            try run(steps)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return elapsed / Double(steps)
        }
        let pti = try perStep { n in
            var options = PTI.Options()
            options.steps = n
            options.lpipsThreshold = nil
            _ = try PTI(generator: loaded, loss: loss, options: options).tune(target: target, pivot: pivot)
        }
        let gani = try perStep { n in
            var options = GANI.Options.faces
            options.steps = n
            _ = try GANI(generator: loaded, imageLoss: GANI.imageLoss(options: options), options: options)
                .tune(target: target, pivot: pivot)
        }
        return (pti, gani)
    }

    private static func time(_ body: () throws -> Void) throws -> Double {
        try body()
        return try fastest(runs: 1, body)
    }
}
