import Foundation
import GeneratorTraining
import StyleGAN
import Torch
import Training

/// Where a training iteration's time goes (`--training-phases SIZE DIVISOR`): the phases of
/// `StyleGAN2Trainer.step`, each timed with the trainer's own networks and optimisers, beside the reference's phases
/// under the same names (bench/stylegan2_training_reference.py, run with glibc set as ours so the figures compare
/// kernels). Printed, for work on the trainer; the benchmark table times whole steps. A third value `ours` skips the
/// reference (minutes at full width) while iterating on our side.
enum TrainingPhases {
    static func print(_ values: [String]) throws {
        guard values.count == 2 || (values.count == 3 && values[2] == "ours"), let size = Int(values[0]),
              let divisor = Int(values[1])
        else {
            throw TorchError("--training-phases takes SIZE DIVISOR [ours], got \(values)")
        }
        // The reference first: memory our process frees stays with it (glibc as `Runtime.start` sets it).
        let setting = TrainingBenchmark.Setting(size: size, divisor: divisor, warmup: 0, repeats: 1)
        let reference = values.count == 3 ? [:] : try TrainingBenchmark.python(setting, environment: PythonReference.ourAllocator)
            .iterations["\(TrainingBenchmark.kinds.last!.index)"]?.phases_ms ?? [:]
        let ours = try measure(size: size, divisor: divisor)
        Swift.print("\(size) px, \(setting.widths), batch 16: ms per phase of an iteration with R1 and path length")
        Swift.print("phase | ours | reference | reference / ours")
        for (name, ms) in ours {
            let theirs = reference[name]
            Swift.print("\(name) | \(fmt(ms)) | \(theirs.map(fmt) ?? "-") | "
                + (theirs.map { String(format: "%.2fx", $0 / ms) } ?? "-"))
        }
        for (name, ms) in reference where !ours.contains(where: { $0.0 == name }) {
            Swift.print("\(name) | - | \(fmt(ms)) | -")
        }
        let total = ours.map(\.1).reduce(0, +), theirs = reference.values.reduce(0, +)
        Swift.print("total | \(fmt(total)) | \(fmt(theirs)) | \(String(format: "%.2fx", theirs / total))")
    }

    /// The second of two passes (the first warms up), ms per phase in step order.
    static func measure(size: Int, divisor: Int) throws -> [(String, Double)] {
        let (trainer, folder) = try TrainingBenchmark.trainer(size: size, divisor: divisor)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let g = trainer.generator, d = trainer.discriminator, c = trainer.config
        let rng = try Torch.Generator(seed: 1)
        let real = try Tensor.rand([c.batch, 3, size, size], generator: rng) * 2 - 1
        func latents(_ batch: Int) throws -> Tensor {
            try g.latents(LatentSample.sample(batch: batch, styleDim: c.latent, nLatent: g.nLatent, mixing: c.mixing,
                                              generator: rng))
        }
        var phases: [(String, Double)] = []
        func lap<T>(_ name: String, _ body: () throws -> T) throws -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try body()
            phases.append((name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6))
            return result
        }
        for _ in 0..<2 {
            phases = []
            try g.requiresGrad(false)
            try d.requiresGrad(true)
            let fake = try lap("G forward (D step)") {
                try withNoGrad { try g.synthesis(latents(c.batch), noise: .random(seed: 0)) }
            }
            let dLoss = try lap("D forward") {
                try GANLoss.discriminatorLogistic(realPredictions: d(real), fakePredictions: d(fake))
            }
            try lap("D backward") { try trainer.discriminatorOptimizer.zeroGrad(); try dLoss.backward() }
            try lap("Adam (D)") { try trainer.discriminatorOptimizer.step() }
            let leaf = try real.detach().requiresGrad(true)
            let r1 = try lap("R1: D forward + gradient to images") {
                try GANLoss.r1Penalty(realPredictions: d(leaf), realImages: leaf)
            }
            try lap("R1: backward + Adam") {
                try trainer.discriminatorOptimizer.zeroGrad()
                try (r1 * (c.r1 / 2 * Double(c.dRegEvery))).backward()
                try trainer.discriminatorOptimizer.step()
            }
            try g.requiresGrad(true)
            try d.requiresGrad(false)
            let generated = try lap("G forward") { try g.synthesis(latents(c.batch), noise: .random(seed: 1)) }
            let gLoss = try lap("D forward (G step)") { try GANLoss.generatorNonSaturating(fakePredictions: d(generated)) }
            try lap("G backward (through D)") { try trainer.generatorOptimizer.zeroGrad(); try gLoss.backward() }
            try lap("Adam (G)") { try trainer.generatorOptimizer.step() }
            let (w, images) = try lap("path: G forward") {
                let w = try latents(c.batch / c.pathBatchShrink)
                return (w, try g.synthesis(w, noise: .random(seed: 2)))
            }
            var regularizer = PathLengthRegularizer()
            let path = try lap("path: gradient to w+") { try regularizer.penalty(images: images, latents: w, generator: rng) }
            try lap("path: backward + Adam") {
                try trainer.generatorOptimizer.zeroGrad()
                try (path.penalty * (c.pathRegularize * Double(c.gRegEvery))).backward()
                try trainer.generatorOptimizer.step()
            }
        }
        return phases
    }
}
