//! The drawings: the same for the same product, apart for others, safe for any name.

use super::{colour_of, draw, parse_file};

#[test]
fn a_product_is_drawn_the_same_every_time_and_each_view_differently() {
    let first = draw("Denim Apron in Sage", "kitchen", "sage", 1);

    assert_eq!(first, draw("Denim Apron in Sage", "kitchen", "sage", 1));
    assert_ne!(first, draw("Denim Apron in Sage", "kitchen", "sage", 2));
    assert!(first.contains("#9caf88"), "sage is drawn in sage");
    assert!(first.starts_with("<svg "));
}

#[test]
fn a_name_cannot_break_out_of_the_drawing() {
    let svg = draw(r#"</text><script>alert("x")</script>"#, "toys", "", 1);

    assert!(!svg.contains("<script>"));
    assert!(svg.contains("&lt;script&gt;"));
}

#[test]
fn colour_names_take_their_last_known_word() {
    assert_eq!(colour_of("forest green").as_deref(), Some("#3f8f4f"));
    assert_eq!(colour_of("black dial").as_deref(), Some("#222222"));
    assert_eq!(colour_of("unheard of"), None);
}

#[test]
fn image_files_name_a_sku_and_a_view() {
    assert_eq!(parse_file("KIT-00042-2.svg"), Some(("KIT-00042".into(), 2)));
    assert_eq!(parse_file("kit-00042-1.jpg"), Some(("KIT-00042".into(), 1)));
    assert_eq!(parse_file("KIT-00042-0.svg"), None);
    assert_eq!(parse_file("KIT-00042-2.png"), None);
    assert_eq!(parse_file("-2.svg"), None);
}
