//! The registry's moves, the routing of traffic, agreement and drift, on plain values.

use super::agreement::{cosine, overlap_at};
use super::drift::{Bins, Centroid, DRIFT_THRESHOLD, Feature, population_stability};
use super::*;

fn version(number: u32, stage: Stage, promoted_at_ms: Option<i64>) -> Version {
    Version {
        model: "minilm-static".to_owned(),
        number,
        artefact: "minilm-static".to_owned(),
        sha256: format!("{number:064x}"),
        source: "models/minilm-static".to_owned(),
        licence: "Apache-2.0".to_owned(),
        evaluation: vec![("ndcg@10".to_owned(), 0.9)],
        stage,
        created_at_ms: 0,
        promoted_at_ms,
    }
}

fn registry() -> Vec<Version> {
    vec![
        version(1, Stage::Archived, Some(100)),
        version(2, Stage::Production, Some(200)),
        version(3, Stage::Candidate, None),
    ]
}

#[test]
fn promoting_a_candidate_archives_production_and_rolling_back_restores_it() {
    let versions = registry();
    assert_eq!(
        promote(&versions, 3).unwrap(),
        vec![(2, Stage::Archived), (3, Stage::Production)]
    );
    assert_eq!(
        roll_back(&versions).unwrap(),
        vec![(2, Stage::Archived), (1, Stage::Production)]
    );
    assert_eq!(promote(&versions, 2).unwrap_err().field, "version");
    assert!(
        promote(&versions, 9)
            .unwrap_err()
            .reason
            .contains("minilm-static has no version 9")
    );
}

#[test]
fn the_first_production_version_has_nothing_to_roll_back_to_and_production_cannot_retire() {
    let versions = vec![
        version(1, Stage::Production, Some(100)),
        version(2, Stage::Candidate, None),
    ];
    assert!(
        roll_back(&versions)
            .unwrap_err()
            .reason
            .contains("first in production")
    );
    assert!(
        retire(&versions, 1)
            .unwrap_err()
            .reason
            .contains("in production")
    );
    assert_eq!(retire(&versions, 2).unwrap(), (2, Stage::Archived));
    assert!(roll_back(&[version(1, Stage::Candidate, None)]).is_err());
}

#[test]
fn canaries_and_shadows_must_be_candidates_and_a_canary_takes_at_most_half() {
    let versions = registry();
    let canary = |basis_points| Traffic {
        canary: Some((3, basis_points)),
        shadow: None,
    };
    assert!(check_traffic(canary(1_000), &versions).is_ok());
    assert_eq!(
        check_traffic(canary(0), &versions).unwrap_err().field,
        "canary"
    );
    assert!(check_traffic(canary(5_001), &versions).is_err());
    let production_as_shadow = Traffic {
        canary: None,
        shadow: Some(2),
    };
    let refused = check_traffic(production_as_shadow, &versions).unwrap_err();
    assert_eq!(refused.field, "shadow");
    assert!(refused.reason.contains("production"), "{refused}");
}

#[test]
fn a_canary_answers_its_share_of_rolls_and_a_shadow_only_watches() {
    let traffic = Traffic {
        canary: Some((3, 1_000)),
        shadow: Some(3),
    };
    let routes: Vec<Route> = (0..10_000).map(|roll| route(2, traffic, roll)).collect();
    let by_canary = routes.iter().filter(|route| route.answer == 3).count();
    assert_eq!(by_canary, 1_000, "10% of the rolls");
    assert!(
        routes
            .iter()
            .all(|route| (route.answer == 3) == route.shadow.is_none()),
        "the shadow watches every request it does not answer"
    );
    let plain = route(2, Traffic::default(), 0);
    assert_eq!(
        plain,
        Route {
            answer: 2,
            shadow: None
        }
    );
}

#[test]
fn agreement_is_one_for_the_same_answer_and_falls_as_answers_part() {
    assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-9);
    assert!(cosine(&[1.0, 0.0], &[0.0, 1.0]).abs() < 1e-9);
    assert!(
        (cosine(&[1.0], &[1.0, 5.0]) - 1.0).abs() < 1e-9,
        "the shorter's dimensions"
    );
    assert_eq!(cosine(&[], &[1.0]), 0.0);
    let ranking = |items: &str| items.split(' ').map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(overlap_at(3, &ranking("a b c d"), &ranking("c a b e")), 1.0);
    assert!((overlap_at(4, &ranking("a b c d"), &ranking("c a b e")) - 0.75).abs() < 1e-9);
    assert_eq!(overlap_at(2, &ranking("a b"), &ranking("c d")), 0.0);
    assert_eq!(overlap_at(10, &[], &[]), 1.0);
}

#[test]
fn the_stability_index_is_zero_for_the_same_population_and_large_for_a_shifted_one() {
    let bins = Bins::new(&[2.0, 4.0, 8.0, 16.0]);
    let short = bins.shares([1.0, 3.0, 3.0, 5.0, 7.0, 9.0]);
    assert!(population_stability(&short, &short).abs() < 1e-12);
    let long = bins.shares([20.0, 30.0, 12.0, 40.0, 50.0, 9.0]);
    assert!(population_stability(&short, &long) > DRIFT_THRESHOLD);
    assert!(
        (population_stability(&short, &long) - population_stability(&long, &short)).abs() < 1e-9
    );
}

#[test]
fn a_feature_drifts_only_once_its_window_holds_other_traffic_than_the_reference() {
    let mut length = Feature::new("query_tokens", Bins::new(&[2.0, 4.0, 8.0, 16.0]), 100);
    for i in 0..100 {
        length.observe(f64::from(i % 7 + 1));
    }
    assert_eq!(length.stability(), None, "no reference yet");
    length.take_reference();
    // The same kind of traffic: stable.
    for i in 0..100 {
        length.observe(f64::from((i * 3) % 7 + 1));
    }
    let stable = length.stability().unwrap();
    assert!(stable < DRIFT_THRESHOLD, "{stable}");
    // Longer queries take over the window.
    for i in 0..60 {
        length.observe(f64::from(20 + i % 10));
    }
    let drifted = length.stability().unwrap();
    assert!(drifted > DRIFT_THRESHOLD, "{drifted}");
}

#[test]
fn the_centroid_moves_away_when_embeddings_turn_and_restarts_on_new_dimensions() {
    let mut centroid = Centroid::new(10);
    for _ in 0..10 {
        centroid.observe(&[1.0, 0.1]);
    }
    centroid.take_reference();
    assert!(centroid.distance().unwrap() < 1e-9);
    for _ in 0..10 {
        centroid.observe(&[0.1, 1.0]);
    }
    assert!(centroid.distance().unwrap() > 0.5);
    centroid.observe(&[1.0, 0.0, 0.0]);
    assert_eq!(
        centroid.distance(),
        None,
        "a new model's vectors start over"
    );
}
