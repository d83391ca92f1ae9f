/// The step a trainer is asked to run, with the process group it trains in.
public struct Iteration: Sendable {
    /// 0-based index of this step (rosinality's `i`); after it, `index + 1` iterations are complete, the number
    /// that names checkpoints, samples and log lines.
    public let index: Int
    /// Iterations of the whole run (`--iter`).
    public let total: Int
    public let group: any ProcessGroup

    public init(index: Int, total: Int, group: any ProcessGroup = SingleProcess()) {
        self.index = index
        self.total = total
        self.group = group
    }

    /// Whether a lazy regulariser run every `n` steps runs on this one: on index 0, n, 2n, ... as rosinality's
    /// `i % d_reg_every == 0`; never for n <= 0 (regulariser off).
    public func every(_ n: Int) -> Bool { n > 0 && index % n == 0 }
}
