import Checkpoints
import Foundation
import Torch

/// A perception trainer's checkpoint (`torch.save` format): each module's state dict under its name, the
/// optimiser's `state_dict()` under `optimizer`, the run's configuration (JSON) and the completed iterations.
/// Random streams are not saved: every step derives its own from the seed and its index (`StepSchedule`).
enum TrainingCheckpoint {
    static func save(modules: [(String, Module)], optimizer: Adam, config: some Encodable, iteration: Int,
                     to path: String) throws
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var entries: [(String, CheckpointValue)] = try modules.map { ($0.0, CheckpointValue(try $0.1.stateDict())) }
        entries += [("optimizer", CheckpointValue(try optimizer.stateDict())),
                    ("config", .string(String(decoding: try encoder.encode(config), as: UTF8.self))),
                    ("iteration", .int(iteration))]
        try TorchCheckpoint.save(.dict(entries.map { (key: .string($0.0), value: $0.1) }), to: path)
    }

    /// Restores the modules and the optimiser from `path` and returns its iteration. A checkpoint of another
    /// configuration (evaluation settings aside) is refused, naming both.
    static func load<Config: TrainingSettings>(modules: [(String, Module)], optimizer: Adam,
                                                   config: Config, from path: String) throws -> Int
    {
        let root = try TorchCheckpoint.load(path)
        do {
            let saved = try JSONDecoder().decode(Config.self, from: Data(try root["config"].string().utf8))
            guard saved.sameTraining(as: config) else {
                throw PerceptionTrainingError("\(path): a checkpoint of another configuration (\(saved)); this run "
                    + "has \(config)")
            }
            for (name, module) in modules { try module.load(stateDict: try root[name].stateDict()) }
            try optimizer.loadStateDict(OptimizerState(root["optimizer"]))
            return try root["iteration"].int()
        } catch let error as PerceptionTrainingError {
            throw error
        } catch {
            throw PerceptionTrainingError("\(path): not a checkpoint of this trainer: \(error)")
        }
    }
}

/// A trainer's configuration, whose evaluation settings may change between a run and its resumption.
protocol TrainingSettings: Codable, Equatable {
    /// Equal but for the evaluation settings.
    func sameTraining(as other: Self) -> Bool
}

extension IdentityTrainingConfig: TrainingSettings {
    func sameTraining(as other: Self) -> Bool {
        var mine = self
        (mine.evaluationIdentities, mine.falseAcceptRate) = (other.evaluationIdentities, other.falseAcceptRate)
        return mine == other
    }
}

extension AttributeTrainingConfig: TrainingSettings {
    func sameTraining(as other: Self) -> Bool {
        var mine = self
        mine.evaluationSamples = other.evaluationSamples
        return mine == other
    }
}
