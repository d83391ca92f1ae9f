import ArgumentParser
import StyleGAN

/// `--precision`: the dtype synthesis (and, in training, both networks) computes in.
extension ComputePrecision: ExpressibleByArgument {}
