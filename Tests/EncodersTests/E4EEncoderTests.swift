import Encoders
import TestSupport
import Testing
import Torch

extension PSPFamilyEncoderTests {
    /// e4e's progressive readout (its fixture is checked beside pSp's, on the same network).
    @Suite("e4e")
    struct E4EEncoderTests {
        init() throws { try Runtime.start() }

        /// Stage s gives rows 1...s their offsets and leaves the others at w0; the inference stage gives all.
        @Test func progressiveStagesKeepW0PastTheStage() throws {
            let net = try GradualStyleEncoder(styleCount: 4, readout: .progressive(stage: 2))
            let x = try EncoderTestSupport.images()
            let early = try withNoGrad { try net.styleCodes(x) }
            net.readout = .e4eInference
            let all = try withNoGrad { try net.styleCodes(x) }
            net.readout = .independent
            let independent = try withNoGrad { try net.styleCodes(x) }
            try expectClose(early.slice(1, 0, 3), all.slice(1, 0, 3), tol: 1e-6, "rows 0...2 at stage 2")
            try expectClose(early.select(1, 3), early.select(1, 0), tol: 0, "row 3 = w0 at stage 2")
            let w0 = try independent.select(1, 0)
            try expectClose(all.select(1, 0), w0, tol: 0, "row 0 = w0")
            for row in 1..<4 {
                try expectClose(all.select(1, row), try w0 + independent.select(1, row), tol: 1e-6, "row \(row) = w0 + block")
            }
        }
    }
}
