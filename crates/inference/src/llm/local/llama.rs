//! The Llama architecture over quantized weights, as a GGUF file lays them out (SmolLM2 is
//! one): token embeddings, blocks of grouped-query attention with rotary positions and a
//! SwiGLU feed-forward, each after an RMS norm, and the output tied to the embeddings when the
//! file has no output of its own. The weights stay quantized; each matrix product dequantizes
//! as it goes (`QMatMul`). One answer at a time: the keys and values seen so far are kept
//! until `forget`.

use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Module, Result, Tensor};

/// The shape of the network, from the file's metadata.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub blocks: usize,
    pub width: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub context: usize,
    epsilon: f32,
    rope_base: f32,
}

impl Shape {
    fn of(content: &gguf_file::Content) -> Result<Shape> {
        let number = |key: &str| -> Result<usize> {
            let value = content.metadata.get(&format!("llama.{key}"));
            let value = value.ok_or_else(|| candle_core::Error::msg(format!("no llama.{key}")))?;
            Ok(value.to_u32()? as usize)
        };
        let real = |key: &str, default: f32| {
            content
                .metadata
                .get(&format!("llama.{key}"))
                .and_then(|value| value.to_f32().ok())
                .unwrap_or(default)
        };
        Ok(Shape {
            blocks: number("block_count")?,
            width: number("embedding_length")?,
            heads: number("attention.head_count")?,
            kv_heads: number("attention.head_count_kv")?,
            context: number("context_length")?,
            epsilon: real("attention.layer_norm_rms_epsilon", 1e-5),
            rope_base: real("rope.freq_base", 10_000.0),
        })
    }

    fn head_width(&self) -> usize {
        self.width / self.heads
    }
}

struct Block {
    attention_norm: Tensor,
    query: QMatMul,
    key: QMatMul,
    value: QMatMul,
    out: QMatMul,
    ffn_norm: Tensor,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
    /// The keys and values of the positions seen so far: (1, kv heads, positions, head width).
    seen: Option<(Tensor, Tensor)>,
}

pub struct Llama {
    pub shape: Shape,
    embeddings: Arc<QTensor>,
    blocks: Vec<Block>,
    norm: Tensor,
    output: QMatMul,
    /// The rotation of each position: (context, head width / 2).
    cos: Tensor,
    sin: Tensor,
}

impl Llama {
    /// Reads the weights `content` describes from `file`.
    pub fn read<R: std::io::Read + std::io::Seek>(
        content: &gguf_file::Content,
        file: &mut R,
    ) -> Result<Llama> {
        let device = Device::Cpu;
        let shape = Shape::of(content)?;
        let mut tensor = |name: &str| content.tensor(file, name, &device);
        let embeddings = Arc::new(tensor("token_embd.weight")?);
        let norm = tensor("output_norm.weight")?.dequantize(&device)?;
        let output = match tensor("output.weight") {
            Ok(output) => QMatMul::from_qtensor(output)?,
            Err(_) => QMatMul::from_arc(embeddings.clone())?,
        };
        let mut blocks = Vec::with_capacity(shape.blocks);
        for at in 0..shape.blocks {
            let mut weight = |name: &str| tensor(&format!("blk.{at}.{name}.weight"));
            blocks.push(Block {
                attention_norm: weight("attn_norm")?.dequantize(&device)?,
                query: QMatMul::from_qtensor(weight("attn_q")?)?,
                key: QMatMul::from_qtensor(weight("attn_k")?)?,
                value: QMatMul::from_qtensor(weight("attn_v")?)?,
                out: QMatMul::from_qtensor(weight("attn_output")?)?,
                ffn_norm: weight("ffn_norm")?.dequantize(&device)?,
                gate: QMatMul::from_qtensor(weight("ffn_gate")?)?,
                up: QMatMul::from_qtensor(weight("ffn_up")?)?,
                down: QMatMul::from_qtensor(weight("ffn_down")?)?,
                seen: None,
            });
        }
        let (cos, sin) = rotations(&shape, &device)?;
        Ok(Llama {
            shape,
            embeddings,
            blocks,
            norm,
            output,
            cos,
            sin,
        })
    }

    /// Forgets the positions seen, to begin another answer.
    pub fn forget(&mut self) {
        for block in &mut self.blocks {
            block.seen = None;
        }
    }

    /// Reads `tokens` after the `at` positions already seen, and gives the logits of the
    /// token that follows the last of them: (vocabulary). Several tokens are read only from
    /// the start (a prompt), then one at a time.
    pub fn forward(&mut self, tokens: &[u32], at: usize) -> Result<Tensor> {
        let count = tokens.len();
        if count > 1 && at > 0 {
            candle_core::bail!(
                "{count} tokens read at position {at}: one at a time after the prompt"
            );
        }
        let ids = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
        let mut x = self.embeddings.embedding(&ids)?;
        let mask = (count > 1).then(|| causal_mask(count)).transpose()?;
        let cos = self.cos.narrow(0, at, count)?;
        let sin = self.sin.narrow(0, at, count)?;
        for block in &mut self.blocks {
            let normed = candle_nn::ops::rms_norm(&x, &block.attention_norm, self.shape.epsilon)?;
            let attended = block.attend(&normed, &self.shape, mask.as_ref(), (&cos, &sin))?;
            x = (x + attended)?;
            let normed = candle_nn::ops::rms_norm(&x, &block.ffn_norm, self.shape.epsilon)?;
            let gated = candle_nn::ops::silu(&product(&block.gate, &normed)?)?;
            let fed = product(&block.down, &(gated * product(&block.up, &normed)?)?)?;
            x = (x + fed)?;
        }
        let last = x.narrow(1, count - 1, 1)?;
        let normed = candle_nn::ops::rms_norm(&last, &self.norm, self.shape.epsilon)?;
        self.output.forward(&normed)?.flatten_all()
    }
}

impl Block {
    /// Grouped-query attention over every position seen and `x`'s, each head of keys and
    /// values shared by `heads / kv_heads` heads of queries.
    fn attend(
        &mut self,
        x: &Tensor,
        shape: &Shape,
        mask: Option<&Tensor>,
        (cos, sin): (&Tensor, &Tensor),
    ) -> Result<Tensor> {
        let (_, count, width) = x.dims3()?;
        let head = shape.head_width();
        let split = |t: Tensor, heads: usize| -> Result<Tensor> {
            t.reshape((1, count, heads, head))?
                .transpose(1, 2)?
                .contiguous()
        };
        let query = split(product(&self.query, x)?, shape.heads)?;
        let key = split(product(&self.key, x)?, shape.kv_heads)?;
        let value = split(product(&self.value, x)?, shape.kv_heads)?;
        // The file's queries and keys rotate adjacent pairs (llama.cpp's layout).
        let query = candle_nn::rotary_emb::rope_i(&query, cos, sin)?;
        let key = candle_nn::rotary_emb::rope_i(&key, cos, sin)?;
        let (key, value) = match self.seen.take() {
            Some((keys, values)) => (
                Tensor::cat(&[&keys, &key], 2)?,
                Tensor::cat(&[&values, &value], 2)?,
            ),
            None => (key, value),
        };
        self.seen = Some((key.clone(), value.clone()));
        let group = shape.heads / shape.kv_heads;
        let key = repeat_heads(&key, group)?;
        let value = repeat_heads(&value, group)?;
        let scores = (query.matmul(&key.t()?)? / (head as f64).sqrt())?;
        let scores = match mask {
            Some(mask) => scores.broadcast_add(mask)?,
            None => scores,
        };
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let mixed = weights.matmul(&value)?;
        let mixed = mixed.transpose(1, 2)?.reshape((1, count, width))?;
        product(&self.out, &mixed)
    }
}

/// `x` (1, positions, in) times `matrix` (out, in) transposed. A prompt's many positions go
/// through a true matrix product of the weights dequantized for it: candle's product over
/// quantized weights takes a row at a time, so a prompt would cost what writing as many
/// tokens costs. One position (writing) stays on the quantized weights.
fn product(matrix: &QMatMul, x: &Tensor) -> Result<Tensor> {
    match matrix {
        QMatMul::QTensor(weights) if x.dim(1)? > 1 => {
            let weights = weights.dequantize(x.device())?;
            x.broadcast_matmul(&weights.t()?)
        }
        _ => matrix.forward(x),
    }
}

/// Each of `heads`' heads `group` times in a row: (1, kv heads × group, positions, width).
fn repeat_heads(heads: &Tensor, group: usize) -> Result<Tensor> {
    if group == 1 {
        return Ok(heads.clone());
    }
    let (batch, count, positions, width) = heads.dims4()?;
    heads
        .unsqueeze(2)?
        .expand((batch, count, group, positions, width))?
        .reshape((batch, count * group, positions, width))
}

/// Adds minus infinity where a position would see one after it: (count, count).
fn causal_mask(count: usize) -> Result<Tensor> {
    let cells: Vec<f32> = (0..count)
        .flat_map(|row| {
            (0..count).map(move |column| if column > row { f32::NEG_INFINITY } else { 0.0 })
        })
        .collect();
    Tensor::from_vec(cells, (count, count), &Device::Cpu)
}

/// The cosines and sines of every position's rotation, per pair of a head's dimensions.
fn rotations(shape: &Shape, device: &Device) -> Result<(Tensor, Tensor)> {
    let head = shape.head_width();
    let frequencies: Vec<f32> = (0..head)
        .step_by(2)
        .map(|i| 1.0 / shape.rope_base.powf(i as f32 / head as f32))
        .collect();
    let frequencies = Tensor::new(frequencies.as_slice(), device)?.unsqueeze(0)?;
    let positions = Tensor::arange(0u32, shape.context as u32, device)?
        .to_dtype(DType::F32)?
        .unsqueeze(1)?;
    let angles = positions.broadcast_mul(&frequencies)?;
    Ok((angles.cos()?, angles.sin()?))
}

/// The index of the greatest logit.
pub fn greatest(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (at, logit) in logits.iter().enumerate() {
        if *logit > logits[best] {
            best = at;
        }
    }
    best as u32
}
