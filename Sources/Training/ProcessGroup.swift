import Torch

/// How `ProcessGroup.allReduce` combines the tensors of every process.
public enum ReduceOperation: Sendable {
    case sum
    /// The sum divided by the world size, as gradients are averaged in data-parallel training.
    case mean
}

/// The processes that train one model together, as `torch.distributed`'s default process group.
///
/// A trainer reduces its gradients through the group it is handed, so data-parallel training only needs
/// another group; the loop does its file IO (checkpoints, logs, samples, events) on rank 0 only.
public protocol ProcessGroup: Sendable {
    /// This process's index, 0 ..< `worldSize`.
    var rank: Int { get }
    var worldSize: Int { get }
    /// Replaces each tensor, in place, by its reduction over every process.
    func allReduce(_ tensors: [Tensor], _ operation: ReduceOperation) throws
}

extension ProcessGroup {
    /// Whether this process writes the run's files.
    public var isMain: Bool { rank == 0 }
}

/// A group of one process: reductions leave the tensors as they are.
public struct SingleProcess: ProcessGroup {
    public init() {}

    public var rank: Int { 0 }
    public var worldSize: Int { 1 }

    public func allReduce(_: [Tensor], _: ReduceOperation) throws {}
}
