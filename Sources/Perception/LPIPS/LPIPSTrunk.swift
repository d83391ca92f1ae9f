import Torch

/// The network whose feature maps LPIPS compares: the ImageNet trunks of the published metric (`LPIPSBackbone`)
/// or the testbed's attribute classifier (`ResNet18Classifier`), whose LPIPS layers are calibrated on testbed pairs.
public protocol LPIPSTrunk: Module {
    /// Channels of the tapped feature maps, one `LPIPSLinear` each.
    var tapChannels: [Int] { get }
    /// The smallest square input side that reaches every tap with a non-empty map.
    var minimumInputSize: Int { get }
    /// x [N, 3, H, W], already shifted and scaled -> the tapped feature maps [N, tapChannels[k], H_k, W_k].
    func taps(_ x: Tensor) throws -> [Tensor]
    /// Whether an [N, 3, H, W] input reaches every tap with a non-empty map.
    func accepts(inputShape: [Int]) -> Bool
    /// Shapes of the tapped maps for an input of `inputShape` [N, 3, H, W].
    func tapShapes(inputShape: [Int]) throws -> [[Int]]
    /// Floating-point operations of one forward pass (convolutions' multiply-adds at 2 FLOPs each).
    func flops(inputShape: [Int]) throws -> Int
}

extension LPIPSBackbone: LPIPSTrunk {
    public func taps(_ x: Tensor) throws -> [Tensor] { try self(x) }
}
