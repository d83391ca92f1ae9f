import Torch

/// A model being trained: its state (weights, optimisers, EMA, random streams, data position), one step of
/// training, and the files that hold that state. `TrainingLoop` does the rest.
///
/// For a resumed run to continue exactly as an uninterrupted one, `saveState` must write everything `step`
/// reads or changes, random generators and the data order included, and `loadState` must restore all of it.
public protocol Trainer: AnyObject {
    /// Examples one step consumes in this process; with the world size it gives the kimg count.
    var batchSize: Int { get }
    /// The extension of checkpoint files, without the dot ("pt", "safetensors").
    var checkpointExtension: String { get }

    /// Runs one step and reports its losses. A step that throws leaves the run without a new checkpoint.
    func step(_ iteration: Iteration) throws -> StepReport

    /// Writes the complete state, after `iteration` completed iterations, to a new file at `path`.
    ///
    /// `path` is a temporary name in the checkpoint folder, ending in `.` + `checkpointExtension`; the loop
    /// renames it into place once this returns, so a throw or a crash never replaces a good checkpoint.
    func saveState(to path: String, iteration: Int) throws

    /// Restores the state from a checkpoint and returns the completed iterations it records, or nil when the
    /// file does not say (then the loop reads it from the file name, `NNNNNN.ext`, as rosinality's train.py).
    func loadState(from path: String) throws -> Int?

    /// A batch of samples [N, C, H, W] in [-1, 1] after `iteration` completed iterations, for the grid
    /// `samples/NNNNNN.png`, or nil for none. Called on rank 0 only, every `TrainingOptions.sampleEvery`
    /// iterations and once before the first step of a fresh run (iteration 0).
    func samples(at iteration: Int) throws -> Tensor?

    /// Metrics (FID, ...) after `iteration` completed iterations, logged beside the losses every
    /// `TrainingOptions.evaluateEvery` iterations. Called on every rank, so an evaluation can share its work.
    func evaluate(at iteration: Int, group: any ProcessGroup) throws -> [Scalar]
}

extension Trainer {
    public func samples(at _: Int) throws -> Tensor? { nil }
    public func evaluate(at _: Int, group _: any ProcessGroup) throws -> [Scalar] { [] }
}
