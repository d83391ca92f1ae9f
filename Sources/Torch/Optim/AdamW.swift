/// Adam with decoupled weight decay, as `torch.optim.AdamW` (default `weightDecay` 1e-2).
///
/// Every group decays decoupled, whatever its options say: PyTorch's AdamW forces the flag the same way.
public final class AdamW: Adam {
    public override init(groups: [ParamGroup<Options>]) throws {
        var decoupled = groups
        for i in decoupled.indices { decoupled[i].options.decoupledWeightDecay = true }
        try super.init(groups: decoupled)
    }

    /// One group with PyTorch's AdamW defaults.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false,
                            maximize: Bool = false) throws
    {
        let options = Options(betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize,
                              decoupledWeightDecay: true)
        try self.init(groups: [ParamGroup(params: params, lr: lr, options: options)])
    }

    /// Loads as `Adam` does, with decoupled weight decay in every group whatever the saved flag says, as
    /// PyTorch's AdamW does.
    public override func loadStateDict(_ saved: OptimizerState) throws {
        var decoupled = saved
        for i in decoupled.paramGroups.indices { decoupled.paramGroups[i]["decoupled_weight_decay"] = .bool(true) }
        try super.loadStateDict(decoupled)
    }
}
