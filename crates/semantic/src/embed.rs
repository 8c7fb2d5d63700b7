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
        let digest = sha2::Sha256::digest(weights);
        let version = digest[..6]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Ok(StaticEmbedder {
            model,
            id: ModelId {
                name: name.to_owned(),
                version,
            },
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
