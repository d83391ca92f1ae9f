import ArgumentParser
import StyleGAN

/// `--noise`: the generator's noise inputs.
enum NoiseChoice: String, ExpressibleByArgument, CaseIterable {
    case const, random, zero
    var mode: NoiseMode { NoiseMode(rawValue, seed: 0)! }
}
