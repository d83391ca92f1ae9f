import Perception
import Torch

extension CLCAE {
    /// CLCAE's `GradualStyleEncoder(50, "ir_se")`: an IR-SE50 pyramid (c1 = body 6 at 64x64, c2 = body 20 at
    /// 32x32, c3 = body 23 at 16x16, merged top-down through `latlayer1`/`latlayer2` into p2 and p1) with the w head
    /// `styles[0]` on c3.
    ///
    /// As the image encoder (`for_image=True`) it stops at w. As the inversion encoder (`for_feature=True`) it also
    /// has `styles_others` (one head per further w+ row: rows 1-2 on c3, 3-6 on p2, the rest on p1), one W+ cross
    /// attention per row (query w, key/value that row's code) and the F cross attention (queries the 4096 positions
    /// of p1, key/value w) followed by `content_layer` down to 512x16x16.
    public final class GradualStyleEncoder: Module {
        /// Trainable elements of the 18-style inversion encoder (running statistics not counted).
        public static let inversionParameterCount = 311_828_672
        /// Rows below `coarse` read c3, below `middle` p2, the rest p1 (pSp's coarse_ind and middle_ind).
        static let coarse = 2
        static let middle = 6

        /// Number of w+ rows (2 log2(output size) - 2); 1 for the image encoder, which predicts w only.
        public let styleCount: Int
        public let design: Design
        /// 3x3 conv, batch norm, PReLU: [N, 3, S, S] -> [N, stem, S, S].
        public let input_layer: Sequential
        /// The IR-SE units (`bottleneck_IR_SE`; official 24), down to [N, D, S/16, S/16].
        public let body: ModuleList<IRSE50.Unit>
        /// The w head on c3.
        public let styles: ModuleList<GradualStyleBlock>
        /// Inversion encoder, `--no_res`: w's map decoded to p1's side, the F cross attention's memory.
        public let decoder: Decoder?
        /// Inversion encoder only: the attended p1 down to the feature, [N, D, S/4, S/4] -> [N, F, R, R].
        public let content_layer: GradualFeatureBlock?
        /// `--no_feature_attention`'s content layer instead (conv, batch norm, PReLU, conv, batch norm, both strided),
        /// registered under the same name.
        public let plainContentLayer: Sequential?
        public let feature_cross_attention: CrossAttention?
        /// Inversion encoder only: heads for w+ rows 1..<styleCount.
        public let styles_others: ModuleList<GradualStyleBlock>?
        /// Inversion encoder only: one per w+ row (row 0 attends to w itself); empty with `--no_w_attention`.
        public let cross_attention: ModuleList<CrossAttention>?
        /// 1x1 lateral convs c2 and c1 (official 256 and 128 channels) -> D.
        public let latlayer1: Conv2d
        public let latlayer2: Conv2d

        /// The inversion encoder's outputs under the reference's names (its `_forward_to_latent`).
        public struct Offsets {
            /// [N, styleCount, 1, D]: each row's cross-attention output (w plus attention, normalised), or [N,
            /// styleCount, D] the rows' codes with `--no_w_attention`; `CLCAEEncoder` adds the base code.
            public let latentOffset: Tensor
            /// [N, D]: w before `latent_avg`.
            public let baseOffset: Tensor
            /// [N, F, R, R]: the layer-K feature (it replaces the generator's, it is not added to it); nil with
            /// `--not_for_feature`.
            public let featureOffset: Tensor?
        }

        /// The inversion encoder for a generator reading `styleCount` rows (`forImage` false), or the image
        /// encoder's trunk (`forImage` true), of `design`. Random weights until loaded; the attentions' `dropout`
        /// acts in training mode (the reference's 0.1).
        public init(forImage: Bool, styleCount: Int = 18, design: Design = .released,
                    dropout: Double = CLCAE.attentionDropout) throws
        {
            try design.validate()
            guard forImage || styleCount > Self.middle else {
                throw TorchError("CLCAE inversion encoder needs more than \(Self.middle) w+ rows, got \(styleCount)")
            }
            self.styleCount = forImage ? 1 : styleCount
            self.design = design
            let t = design.trunk, d = design.width
            input_layer = try IRSE50Trunk.inputLayer(channels: 3, t)
            body = try IRSE50Trunk.body(t)
            styles = try ModuleList([GradualStyleBlock(t.finalDepth, d, spatial: t.inputSize / 16)])
            func attention() throws -> CrossAttention {
                try CrossAttention(dModel: d, heads: design.heads, feedForward: design.feedForward, dropout: dropout)
            }
            if forImage || !design.forFeature {
                (decoder, content_layer, plainContentLayer, feature_cross_attention) = (nil, nil, nil, nil)
            } else if !design.featureAttention {
                let f = design.featureChannels
                (decoder, content_layer, feature_cross_attention) = (nil, nil, nil)
                plainContentLayer = try Sequential(
                    Conv2d(d, f, kernelSize: 3, stride: 2, padding: 1, bias: false), BatchNorm2d(f), PReLU(numParameters: f),
                    Conv2d(f, f, kernelSize: 3, stride: 2, padding: 1, bias: false), BatchNorm2d(f))
            } else {
                decoder = design.decodedQuery ? try Decoder(d, upsamplings: design.p1Size.trailingZeroBitCount) : nil
                content_layer = try GradualFeatureBlock(d, design.featureChannels, spatialIn: design.p1Size,
                                                        spatialOut: design.featureSize)
                plainContentLayer = nil
                feature_cross_attention = try attention()
            }
            if forImage {
                (styles_others, cross_attention) = (nil, nil)
            } else {
                styles_others = try ModuleList((0..<styleCount - 1).map { i in
                    try GradualStyleBlock(t.finalDepth, d, spatial: t.inputSize / (i < Self.coarse ? 16 : i < Self.middle ? 8 : 4))
                })
                cross_attention = try ModuleList(design.wAttention ? (0..<styleCount).map { _ in try attention() } : [])
            }
            let stageDepths = t.stages.map(\.depth)
            latlayer1 = try Conv2d(stageDepths[2], t.finalDepth, kernelSize: 1)
            latlayer2 = try Conv2d(stageDepths[1], t.finalDepth, kernelSize: 1)
            super.init()
            try register(module: "input_layer", input_layer)
            try register(module: "body", body)
            try register(module: "styles", styles)
            try register(module: "decoder", decoder)
            try register(module: "content_layer", content_layer ?? plainContentLayer)
            try register(module: "feature_cross_attention", feature_cross_attention)
            try register(module: "styles_others", styles_others)
            try register(module: "cross_attention", cross_attention)
            try register(module: "latlayer1", latlayer1)
            try register(module: "latlayer2", latlayer2)
        }

        /// c1, c2, c3 (official [N, 128, 64, 64], [N, 256, 32, 32], [N, 512, 16, 16]) for x [N, 3, S, S].
        private func pyramid(_ x: Tensor) throws -> (c1: Tensor, c2: Tensor, c3: Tensor) {
            let side = design.trunk.inputSize
            try expectInput(x, ["N", 3, .size(side), .size(side)])
            let ends = design.trunk.stageEnds
            let taps = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: ends[3], taps: Set(ends.suffix(3)))
            return (taps[ends[1]]!, taps[ends[2]]!, taps[ends[3]]!)
        }

        /// `_upsample_add`: x resized bilinearly (align_corners) to y's size, plus y.
        private func upsampleAdd(_ x: Tensor, _ y: Tensor) throws -> Tensor {
            try F.interpolate(x, size: (y.size(2), y.size(3)), mode: .bilinear, alignCorners: true) + y
        }

        /// The image encoder's code w (`_forward_image`): [N, 3, S, S] -> [N, D]. The reference also builds p2 and p1
        /// there and discards them; they are skipped.
        public func code(_ x: Tensor) throws -> Tensor {
            try styles[0](pyramid(x).c3)
        }

        /// The inversion encoder's forward (`_forward_to_latent`) for x [N, 3, S, S], which CLCAE feeds with
        /// image - average image.
        ///
        /// `editOffset` [N or 1, D], when given, moves w before anything reads it, as the reference's `edit_offset`:
        /// it is in `baseOffset`, in row 0's code, and in the query of every W+ cross attention and the keys and
        /// values of the F cross attention, so w+ rows and the feature are recomputed around the edited w.
        public func offsets(_ x: Tensor, editOffset: Tensor? = nil) throws -> Offsets {
            guard let styles_others, let cross_attention else {
                throw TorchError("CLCAE: the image encoder's trunk has no w+ or feature heads")
            }
            let (c1, c2, c3) = try pyramid(x)
            var base = try styles[0](c3)  // [N, D]
            let width = design.width
            if let editOffset {
                guard editOffset.rank == 2, [1, base.size(0)].contains(editOffset.size(0)), editOffset.size(1) == width
                else {
                    throw TorchError("CLCAE: the edit offset must be [1, \(width)] or [\(base.size(0)), \(width)], "
                        + "got \(editOffset.shape)")
                }
                base = try base + editOffset.to(device: base.device, dtype: base.dtype)
            }
            let p2 = try upsampleAdd(c3, latlayer1(c2))  // [N, D, S/8, S/8]
            let p1 = try upsampleAdd(p2, latlayer2(c1))  // [N, D, S/4, S/4]
            var codes = [base]
            for (j, head) in styles_others.enumerated() {
                codes.append(try head(j < Self.coarse ? c3 : j < Self.middle ? p2 : p1))
            }
            let query = try base.unsqueeze(0)  // [1, N, D]
            let latentOffset: Tensor
            if design.wAttention {
                let refined = try zip(cross_attention, codes).map { attention, code in
                    try attention(query, code.unsqueeze(0)).transpose(0, 1)  // [N, 1, D]
                }
                latentOffset = try Tensor.stack(refined, dim: 1)
            } else {
                latentOffset = try Tensor.stack(codes, dim: 1)  // [N, L, D]
            }
            var feature: Tensor?
            if let plainContentLayer {
                feature = try plainContentLayer(p1)
            } else if let content_layer, let feature_cross_attention {
                // Every position of p1 attends to w (or, with --no_res, to w's decoded map): [S²/16, N, D] -> [N, D, S/4, S/4].
                let (n, c, h, w) = (p1.size(0), p1.size(1), p1.size(2), p1.size(3))
                let positions = try p1.flatten(from: 2).permute([2, 0, 1])
                let memory = try decoder.map { try $0(base.unsqueeze(-1).unsqueeze(-1)).flatten(from: 2).permute([2, 0, 1]) } ?? query
                let attended = try feature_cross_attention(positions, memory).permute([1, 2, 0]).reshape([n, c, h, w])
                feature = try content_layer(attended)
            }
            return Offsets(latentOffset: latentOffset, baseOffset: base, featureOffset: feature)
        }
    }
}
