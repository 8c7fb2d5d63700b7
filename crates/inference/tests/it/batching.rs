//! Requests that arrive together are embedded in one batch, and each still gets the vectors of
//! its own texts, as it would alone.

use futures_util::future::join_all;
use inference::Config;
use proto::inference::inference_client::InferenceClient;

use crate::{TestInference, embed};

const REQUESTS: usize = 48;

/// The texts of request `n`: one to three, none shared with another request.
fn texts(n: usize) -> Vec<String> {
    (0..=n % 3)
        .map(|k| format!("request {n} text {k}: a linen apron and a cast iron pot"))
        .collect()
}

/// Sends `REQUESTS` requests at once; their answers, in order, and the batches they made.
async fn all_at_once(app: &TestInference) -> (Vec<Vec<Vec<f32>>>, u64) {
    let (before, _) = app.inference.batches();
    let token = app.user();
    let answers = join_all((0..REQUESTS).map(|n| {
        let mut client = InferenceClient::new(app.transports.in_process.clone());
        let token = token.clone();
        async move {
            let texts = texts(n);
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            let answer = embed(&mut client, &token, &texts).await.unwrap();
            answer
                .embeddings
                .into_iter()
                .map(|embedding| embedding.values)
                .collect::<Vec<_>>()
        }
    }))
    .await;
    let (after, _) = app.inference.batches();
    (answers, after - before)
}

#[tokio::test]
async fn requests_that_arrive_together_share_batches_and_each_gets_its_own_vectors() {
    let app = TestInference::spawn("sqlite").await;
    let (answers, batches) = all_at_once(&app).await;
    assert!(
        batches < REQUESTS as u64,
        "{REQUESTS} requests at once made {batches} batches"
    );
    let mut client = InferenceClient::new(app.transports.in_process.clone());
    for (n, answer) in answers.iter().enumerate() {
        let texts = texts(n);
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let alone = embed(&mut client, &app.user(), &texts).await.unwrap();
        let alone: Vec<Vec<f32>> = alone.embeddings.into_iter().map(|e| e.values).collect();
        assert_eq!(answer, &alone, "request {n}");
    }

    let unbatched = Config {
        batching: false,
        ..Config::default()
    };
    let app = TestInference::spawn_with("sqlite", unbatched).await;
    let (answers, batches) = all_at_once(&app).await;
    assert_eq!(batches, REQUESTS as u64, "batching off: a batch a request");
    assert_eq!(answers.len(), REQUESTS);
}
