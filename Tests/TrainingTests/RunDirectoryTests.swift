import Foundation
import Images
import Testing
@testable import Training

extension LoopTests {
    @Suite("Run folder")
    struct RunFolder {
        @Test("config.json, log.jsonl, samples and events are written; the folder is made with its parents")
        func layout() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            let run = folder + "/runs/first/"
            let options = TrainingOptions(iterations: 4, checkpointEvery: 4, sampleEvery: 2)
            _ = try QuietLoop(run, options).train(try RegressionTrainer(seed: 1), seed: 99)
            let config = try JSONDecoder().decode(RunConfig.self, from: Data(contentsOf: URL(fileURLWithPath: run + "config.json")))
            #expect(config == RunConfig(seed: 99, training: options))
            #expect(try files(in: run + "samples") == ["000000.png", "000002.png", "000004.png"])
            let grid = try Image.read(path: run + "samples/000004.png")
            #expect(grid.width == 2 * 4 + 3 * 2 && grid.height == 2 * 4 + 3 * 2, "2 x 2 images of 4 x 4, padding 2")
            #expect(try eventFiles(folder + "/runs/first").count == 1)
            #expect(try logLines(run).count == 4)
        }

        @Test("a file where the run folder, a folder above it or its checkpoint folder should be: a clear error")
        func fileInTheWay() throws {
            let folder = try temporaryFolder()
            defer { cleanUp(folder) }
            try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/file"))
            func train(_ run: String) throws {
                _ = try QuietLoop(run, TrainingOptions(iterations: 1)).train(try RegressionTrainer(seed: 1))
            }
            let notAFolder = "exists and is not a folder; the run folder cannot be made there"
            #expect { try train(folder + "/file") } throws: { "\($0)" == "\(folder)/file: \(notAFolder)" }
            #expect { try train(folder + "/file/run") } throws: { "\($0)" == "\(folder)/file: \(notAFolder)" }
            try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: false)
            try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/run/checkpoint"))
            #expect { try train(folder + "/run") } throws: {
                "\($0)" == "\(folder)/run/checkpoint: exists and is not a folder; the checkpoint folder cannot be made there"
            }
            #expect(try files(in: folder + "/run") == ["checkpoint"], "nothing written")
        }

        // sysfs refuses new files and folders even to root, who may write in any folder of a normal file system.
        @Test("an unwritable run folder, or one that cannot be created: a clear error", .enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel")))
        func unwritable() throws {
            func train(_ run: String) throws {
                _ = try QuietLoop(run, TrainingOptions(iterations: 1)).train(try RegressionTrainer(seed: 1))
            }
            #expect { try train("/sys/kernel") } throws: { "\($0)".hasPrefix("/sys/kernel: cannot write in the run folder: ") }
            #expect { try train("/sys/kernel/stylegan-run") } throws: {
                "\($0)".hasPrefix("/sys/kernel/stylegan-run: cannot create the run folder: ")
            }
        }
    }
}
