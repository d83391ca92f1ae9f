import ArgumentParser
import Torch

/// `--precision`: the dtype synthesis computes in.
enum Precision: String, ExpressibleByArgument, CaseIterable {
    case float32, bfloat16
    var dtype: DType { self == .float32 ? .float32 : .bfloat16 }
}
