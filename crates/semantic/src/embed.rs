//! Embedders: texts to unit vectors, and the name and version of the model that made them.

use model2vec_rs::model::StaticModel;
use sha2::Digest as _;

/// Which model made a vector: its name and a version taken from its weights' SHA-256, so that
/// two builds of one name can be told apart.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelId {
    pub name: String,
    pub version: String,
}

impl std::fmt::Display for ModelId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}@{}", self.name, self.version)
    }
}

/// Turns texts into vectors of length one, so that a dot product is their cosine.
pub trait Embedder: Send + Sync {
    /// The model, stamped on every vector it makes.
    fn model(&self) -> &ModelId;
    /// The length of its vectors.
    fn dimensions(&self) -> usize;
    /// One vector per text, in order.
    fn embed(&self, texts: &[String]) -> Vec<Vec<f32>>;

    /// The SHA-256 of the model's weights, hex, when it is known.
    fn sha256(&self) -> Option<&str> {
        None
    }

    /// How many tokens the model reads of `texts` (what an API bills as `prompt_tokens`); by
    /// default, their words.
    fn count_tokens(&self, texts: &[String]) -> usize {
        texts
            .iter()
            .map(|text| text.split_whitespace().count())
            .sum()
    }

    /// One text's vector.
    fn embed_one(&self, text: &str) -> Vec<f32> {
        self.embed(&[text.to_owned()]).pop().unwrap_or_default()
    }
}

/// The bundled model's files, compiled in.
const BUNDLED_TOKENIZER: &[u8] = include_bytes!("../../../models/minilm-static/tokenizer.json");
const BUNDLED_WEIGHTS: &[u8] = include_bytes!("../../../models/minilm-static/model.safetensors");
const BUNDLED_CONFIG: &[u8] = include_bytes!("../../../models/minilm-static/config.json");

/// The bundled model's name.
pub const BUNDLED_NAME: &str = "minilm-static";

/// A model2vec static model: a vector per token, averaged over a text's tokens.
pub struct StaticEmbedder {
    model: StaticModel,
    id: ModelId,
    sha256: String,
    /// The model's tokenizer again, for counting tokens (model2vec keeps its own private).
    tokenizer: tokenizers::Tokenizer,
}

impl std::fmt::Debug for StaticEmbedder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StaticEmbedder")
            .field("model", &self.id)
            .finish_non_exhaustive()
    }
}

impl StaticEmbedder {
    /// The model compiled into the binary (distilled from all-MiniLM-L6-v2).
    pub fn bundled() -> anyhow::Result<StaticEmbedder> {
        StaticEmbedder::from_bytes(
            BUNDLED_NAME,
            BUNDLED_TOKENIZER,
            BUNDLED_WEIGHTS,
            BUNDLED_CONFIG,
        )
    }

    /// A model2vec model from its folder (`tokenizer.json`, `model.safetensors`, `config.json`),
    /// named after the folder.
    pub fn from_dir(folder: &std::path::Path) -> anyhow::Result<StaticEmbedder> {
        let read = |file: &str| {
            std::fs::read(folder.join(file))
                .map_err(|error| anyhow::anyhow!("{}: {error}", folder.join(file).display()))
        };
        let name = folder
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("model");
        StaticEmbedder::from_bytes(
            name,
            &read("tokenizer.json")?,
            &read("model.safetensors")?,
            &read("config.json")?,
        )
    }

    fn from_bytes(
        name: &str,
        tokenizer: &[u8],
        weights: &[u8],
        config: &[u8],
    ) -> anyhow::Result<StaticEmbedder> {
        let model = StaticModel::from_bytes(tokenizer, weights, config, Some(true))
            .map_err(|error| anyhow::anyhow!("load the embedding model {name}: {error}"))?;
        let tokenizer = tokenizers::Tokenizer::from_bytes(tokenizer)
            .map_err(|error| anyhow::anyhow!("load the tokenizer of {name}: {error}"))?;
        let digest = sha2::Sha256::digest(weights);
        let hex =
            |bytes: &[u8]| -> String { bytes.iter().map(|byte| format!("{byte:02x}")).collect() };
        Ok(StaticEmbedder {
            model,
            id: ModelId {
                name: name.to_owned(),
                version: hex(&digest[..6]),
            },
            sha256: hex(&digest),
            tokenizer,
        })
    }
}

impl Embedder for StaticEmbedder {
    fn model(&self) -> &ModelId {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.model.dim()
    }

    fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
        self.model
            .encode_with_args(texts, Some(256), 1024)
            .into_iter()
            .map(unit)
            .collect()
    }

    fn sha256(&self) -> Option<&str> {
        Some(&self.sha256)
    }

    /// The tokens the model averages: at most 256 a text, as `embed` reads them.
    fn count_tokens(&self, texts: &[String]) -> usize {
        texts
            .iter()
            .map(|text| {
                self.tokenizer
                    .encode_fast(text.as_str(), false)
                    .map_or(0, |encoding| encoding.len().min(256))
            })
            .sum()
    }
}

/// The names `load` knows, and what each is.
pub const KNOWN: &[(&str, &str)] = &[
    (
        BUNDLED_NAME,
        "the bundled static model distilled from all-MiniLM-L6-v2, 256 dimensions",
    ),
    (
        "minilm-static-128",
        "the bundled model's first 128 dimensions (its PCA's largest): half the memory",
    ),
    (
        TEACHER_NAME,
        "all-MiniLM-L6-v2 itself on candle, 384 dimensions: a build with `--features teacher` \
         and its weights from `scripts/get-teacher-model` in the models folder",
    ),
];

/// The teacher's name (`teacher.rs`).
pub const TEACHER_NAME: &str = "all-minilm-l6-v2";

/// The teacher, loaded once per process from `models/all-minilm-l6-v2`, where
/// `scripts/get-teacher-model` puts it.
#[cfg(feature = "teacher")]
fn teacher(models: &std::path::Path) -> anyhow::Result<std::sync::Arc<dyn Embedder>> {
    static TEACHER: std::sync::OnceLock<std::sync::Arc<crate::teacher::TeacherEmbedder>> =
        std::sync::OnceLock::new();
    if let Some(model) = TEACHER.get() {
        return Ok(model.clone());
    }
    let folder = models.join(TEACHER_NAME);
    let model = std::sync::Arc::new(crate::teacher::TeacherEmbedder::from_dir(&folder)?);
    Ok(TEACHER.get_or_init(|| model).clone())
}

#[cfg(not(feature = "teacher"))]
fn teacher(_models: &std::path::Path) -> anyhow::Result<std::sync::Arc<dyn Embedder>> {
    anyhow::bail!(
        "the embedding model {TEACHER_NAME} needs a build with it: cargo run --release --features teacher"
    )
}

/// The embedder called `name` (one of `KNOWN`); a model that is not bundled is read from its
/// folder in `models`. Each is loaded once per process and shared.
pub fn load(name: &str, models: &std::path::Path) -> anyhow::Result<std::sync::Arc<dyn Embedder>> {
    static BUNDLED: std::sync::OnceLock<std::sync::Arc<StaticEmbedder>> =
        std::sync::OnceLock::new();
    let bundled = || -> anyhow::Result<std::sync::Arc<StaticEmbedder>> {
        if let Some(model) = BUNDLED.get() {
            return Ok(model.clone());
        }
        let model = std::sync::Arc::new(StaticEmbedder::bundled()?);
        Ok(BUNDLED.get_or_init(|| model).clone())
    };
    match name {
        BUNDLED_NAME => Ok(bundled()?),
        "minilm-static-128" => Ok(std::sync::Arc::new(Truncated::new(
            "minilm-static-128",
            bundled()?,
            128,
        ))),
        TEACHER_NAME => teacher(models),
        other => {
            let known: Vec<&str> = KNOWN.iter().map(|(name, _)| *name).collect();
            anyhow::bail!(
                "no embedding model `{other}`; the known ones are {}",
                known.join(", ")
            )
        }
    }
}

/// Another embedder's vectors cut to their first `dimensions` values and made unit again. For a
/// model whose dimensions are ordered by variance (a PCA, as model2vec's), a smaller model.
pub struct Truncated {
    inner: std::sync::Arc<dyn Embedder>,
    dimensions: usize,
    id: ModelId,
}

impl Truncated {
    pub fn new(name: &str, inner: std::sync::Arc<dyn Embedder>, dimensions: usize) -> Truncated {
        let id = ModelId {
            name: name.to_owned(),
            version: inner.model().version.clone(),
        };
        Truncated {
            dimensions: dimensions.min(inner.dimensions()),
            inner,
            id,
        }
    }
}

impl Embedder for Truncated {
    fn model(&self) -> &ModelId {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn sha256(&self) -> Option<&str> {
        self.inner.sha256()
    }

    fn count_tokens(&self, texts: &[String]) -> usize {
        self.inner.count_tokens(texts)
    }

    fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
        self.inner
            .embed(texts)
            .into_iter()
            .map(|mut vector| {
                vector.truncate(self.dimensions);
                unit(vector)
            })
            .collect()
    }
}

/// `vector` scaled to length one (a zero vector stays zero).
pub fn unit(mut vector: Vec<f32>) -> Vec<f32> {
    let length = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
    if length > 0.0 {
        for value in &mut vector {
            *value /= length;
        }
    }
    vector
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(a, b)| a * b).sum()
    }

    #[test]
    fn the_bundled_model_makes_unit_vectors_stamped_with_its_version() {
        let embedder = StaticEmbedder::bundled().unwrap();
        assert_eq!(embedder.dimensions(), 256);
        assert_eq!(embedder.model().name, BUNDLED_NAME);
        assert_eq!(embedder.model().version.len(), 12);
        let sha256 = embedder.sha256().unwrap();
        assert_eq!(sha256.len(), 64);
        assert!(
            sha256.starts_with(&embedder.model().version),
            "the version is its start"
        );
        let texts = ["a linen apron".to_owned(), "".to_owned()];
        let tokens = embedder.count_tokens(&texts);
        assert!(
            (3..=6).contains(&tokens),
            "{tokens} tokens in three words and none"
        );
        let vector = embedder.embed_one("a linen apron");
        assert_eq!(vector.len(), 256);
        let length: f32 = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-4, "{length}");
        assert_eq!(
            embedder.embed_one("a linen apron"),
            vector,
            "the same text, the same vector"
        );
    }

    #[test]
    fn models_load_by_name_and_the_truncated_one_is_a_model_of_its_own() {
        let models = std::path::Path::new("no-models-here");
        let full = load(BUNDLED_NAME, models).unwrap();
        let half = load("minilm-static-128", models).unwrap();
        assert_eq!(half.dimensions(), 128);
        assert_ne!(half.model(), full.model());
        assert_eq!(half.model().version, full.model().version);
        let vector = half.embed_one("a linen apron");
        assert_eq!(vector.len(), 128);
        let length: f32 = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-4, "{length}");
        let error = load("gpt-5", models).err().unwrap().to_string();
        assert!(
            error.contains("`gpt-5`") && error.contains("minilm-static-128"),
            "{error}"
        );
        // The teacher needs its build, or, built, its weights.
        let error = load(TEACHER_NAME, models).err().unwrap().to_string();
        let expected = if cfg!(feature = "teacher") {
            "scripts/get-teacher-model"
        } else {
            "--features teacher"
        };
        assert!(error.contains(expected), "{error}");
    }

    #[test]
    fn meaning_ranks_above_shared_words() {
        let embedder = StaticEmbedder::bundled().unwrap();
        let products = [
            "Leather Slide Sandals in Tan. footwear. Open-toe summer sandals for warm days and the beach.",
            "Electric Burr Grinder in White. coffee-tea. Grinds beans evenly for espresso and pour-over.",
            "Down Sleeping Bag. camping. Warm to minus ten degrees for winter nights in a tent.",
        ];
        let texts: Vec<String> = products.iter().map(|text| (*text).to_owned()).collect();
        let vectors = embedder.embed(&texts);
        for (query, expected) in [
            ("something to wear on my feet at the seaside", 0),
            ("gift for someone who loves espresso", 1),
            ("stay warm overnight outdoors", 2),
        ] {
            let query = embedder.embed_one(query);
            let best = (0..3)
                .max_by(|a, b| {
                    cosine(&query, &vectors[*a]).total_cmp(&cosine(&query, &vectors[*b]))
                })
                .unwrap();
            assert_eq!(best, expected, "{:?}", products[expected]);
        }
    }
}
