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
        /// 3x3 conv, batch norm, PReLU: [N, 3, 256, 256] -> [N, 64, 256, 256].
        public let input_layer: Sequential
        /// The 24 IR-SE units (`bottleneck_IR_SE`), down to [N, 512, 16, 16].
        public let body: ModuleList<IRSE50.Unit>
        /// The w head on c3.
        public let styles: ModuleList<GradualStyleBlock>
        /// Inversion encoder only: p1 after F cross attention, [N, 512, 64, 64] -> [N, 512, 16, 16].
        public let content_layer: GradualFeatureBlock?
        public let feature_cross_attention: CrossAttention?
        /// Inversion encoder only: heads for w+ rows 1..<styleCount.
        public let styles_others: ModuleList<GradualStyleBlock>?
        /// Inversion encoder only: one per w+ row (row 0 attends to w itself).
        public let cross_attention: ModuleList<CrossAttention>?
        /// 1x1 lateral convs c2 (256 channels) and c1 (128) -> 512.
        public let latlayer1: Conv2d
        public let latlayer2: Conv2d

        /// The inversion encoder's outputs under the reference's names (its `_forward_to_latent`).
        public struct Offsets {
            /// [N, styleCount, 1, 512]: each row's cross-attention output (w plus attention, normalised), to which
            /// `CLCAEEncoder` adds the base code.
            public let latentOffset: Tensor
            /// [N, 512]: w before `latent_avg`.
            public let baseOffset: Tensor
            /// [N, 512, 16, 16]: the layer-5 feature (it replaces the generator's, it is not added to it).
            public let featureOffset: Tensor
        }

        /// The inversion encoder for a generator reading `styleCount` rows (`forImage` false), or the image
        /// encoder's trunk (`forImage` true). Random weights until loaded; the attentions' `dropout` acts in training
        /// mode (the reference's 0.1).
        public init(forImage: Bool, styleCount: Int = 18, dropout: Double = CLCAE.attentionDropout) throws {
            guard forImage || styleCount > Self.middle else {
                throw TorchError("CLCAE inversion encoder needs more than \(Self.middle) w+ rows, got \(styleCount)")
            }
            self.styleCount = forImage ? 1 : styleCount
            input_layer = try IRSE50Trunk.inputLayer(channels: 3)
            body = try IRSE50Trunk.body()
            styles = try ModuleList([GradualStyleBlock(512, 512, spatial: 16)])
            if forImage {
                (content_layer, feature_cross_attention, styles_others, cross_attention) = (nil, nil, nil, nil)
            } else {
                content_layer = try GradualFeatureBlock(512, 512, spatialIn: 64, spatialOut: 16)
                feature_cross_attention = try CrossAttention(dropout: dropout)
                styles_others = try ModuleList((0..<styleCount - 1).map { i in
                    try GradualStyleBlock(512, 512, spatial: i < Self.coarse ? 16 : i < Self.middle ? 32 : 64)
                })
                cross_attention = try ModuleList((0..<styleCount).map { _ in try CrossAttention(dropout: dropout) })
            }
            latlayer1 = try Conv2d(256, 512, kernelSize: 1)
            latlayer2 = try Conv2d(128, 512, kernelSize: 1)
            super.init()
            try register(module: "input_layer", input_layer)
            try register(module: "body", body)
            try register(module: "styles", styles)
            try register(module: "content_layer", content_layer)
            try register(module: "feature_cross_attention", feature_cross_attention)
            try register(module: "styles_others", styles_others)
            try register(module: "cross_attention", cross_attention)
            try register(module: "latlayer1", latlayer1)
            try register(module: "latlayer2", latlayer2)
        }

        /// c1 [N, 128, 64, 64], c2 [N, 256, 32, 32], c3 [N, 512, 16, 16] for x [N, 3, 256, 256].
        private func pyramid(_ x: Tensor) throws -> (c1: Tensor, c2: Tensor, c3: Tensor) {
            try expectInput(x, ["N", 3, 256, 256])
            let taps = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: 23, taps: [6, 20, 23])
            return (taps[6]!, taps[20]!, taps[23]!)
        }

        /// `_upsample_add`: x resized bilinearly (align_corners) to y's size, plus y.
        private func upsampleAdd(_ x: Tensor, _ y: Tensor) throws -> Tensor {
            try F.interpolate(x, size: (y.size(2), y.size(3)), mode: .bilinear, alignCorners: true) + y
        }

        /// The image encoder's code w (`_forward_image`): [N, 3, 256, 256] -> [N, 512]. The reference also builds
        /// p2 and p1 there and discards them; they are skipped.
        public func code(_ x: Tensor) throws -> Tensor {
            try styles[0](pyramid(x).c3)
        }

        /// The inversion encoder's forward (`_forward_to_latent`) for x [N, 3, 256, 256], which CLCAE feeds with
        /// image - average image.
        ///
        /// `editOffset` [N or 1, 512], when given, moves w before anything reads it, as the reference's `edit_offset`:
        /// it is in `baseOffset`, in row 0's code, and in the query of every W+ cross attention and the keys and
        /// values of the F cross attention, so w+ rows and the feature are recomputed around the edited w.
        public func offsets(_ x: Tensor, editOffset: Tensor? = nil) throws -> Offsets {
            guard let content_layer, let feature_cross_attention, let styles_others, let cross_attention else {
                throw TorchError("CLCAE: the image encoder's trunk has no w+ or feature heads")
            }
            let (c1, c2, c3) = try pyramid(x)
            var base = try styles[0](c3)  // [N, 512]
            if let editOffset {
                guard editOffset.rank == 2, [1, base.size(0)].contains(editOffset.size(0)), editOffset.size(1) == 512
                else {
                    throw TorchError("CLCAE: the edit offset must be [1, 512] or [\(base.size(0)), 512], "
                        + "got \(editOffset.shape)")
                }
                base = try base + editOffset.to(device: base.device, dtype: base.dtype)
            }
            let p2 = try upsampleAdd(c3, latlayer1(c2))  // [N, 512, 32, 32]
            let p1 = try upsampleAdd(p2, latlayer2(c1))  // [N, 512, 64, 64]
            var codes = [base]
            for (j, head) in styles_others.enumerated() {
                codes.append(try head(j < Self.coarse ? c3 : j < Self.middle ? p2 : p1))
            }
            let query = try base.unsqueeze(0)  // [1, N, 512]
            let refined = try zip(cross_attention, codes).map { attention, code in
                try attention(query, code.unsqueeze(0)).transpose(0, 1)  // [N, 1, 512]
            }
            // Every position of p1 attends to w: [4096, N, 512] -> [N, 512, 64, 64].
            let (n, c, h, w) = (p1.size(0), p1.size(1), p1.size(2), p1.size(3))
            let positions = try p1.flatten(from: 2).permute([2, 0, 1])
            let attended = try feature_cross_attention(positions, query).permute([1, 2, 0]).reshape([n, c, h, w])
            return Offsets(latentOffset: try Tensor.stack(refined, dim: 1), baseOffset: base,
                           featureOffset: try content_layer(attended))
        }
    }
}
