#!/usr/bin/env python3
"""Generate Emporium's deterministic seed catalog.

The catalog service loads its demo data from two files, both written by this
script under ``crates/catalog/seed/`` (paths are resolved from this file's
location, so the current directory does not matter):

* ``categories.json``: a pretty-printed JSON array of
  ``{"slug", "name", "description"}`` objects.
* ``products.jsonl``: one compact JSON object per line with the keys
  ``sku, name, description, category, price_minor, currency, image_urls,
  attributes, stock`` in that order.

Everything is assembled from the hand-written vocabularies below (materials,
colours, product types with their price and weight ranges, invented brands,
feature and use phrases, audiences, care instructions) by a single
``random.Random(20261128)`` stream. Nothing iterates over a set or over a
mapping whose order could vary, so two runs produce byte-identical files.

Descriptions are composed from sentence "kinds" (opener, features, uses,
season, audience, care, specs, type-specific facts), each with many templates,
so that products of the same type do not read as one sentence with words
swapped, and so that semantic search has real features to match against
("something warm for winter hikes", "gift for a coffee lover").

Run it from anywhere (Python 3.11+, standard library only):

    python3 scripts/generate_catalog.py

It rewrites both files and prints a one-line summary.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20261128
REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "crates" / "catalog" / "seed"
CURRENCY = "USD"

# Products per category: a base plus a random extra, so every category gets
# well over 60 while the whole file stays under ~1.6 MB.
PRODUCTS_BASE, PRODUCTS_EXTRA = 84, 6
MIN_TOTAL = 2400

# About 3% of products start out of stock so that the storefront has
# something to show for "sold out".
OUT_OF_STOCK_RATE = 0.03
MAX_STOCK = 500

DESCRIPTION_LEN = (150, 500)
SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# ---------------------------------------------------------------------------
# Record types for the vocabulary tables. They are plain frozen dataclasses so
# the tables below stay readable: one call per material / product type.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    short: str  # Title Case form used in product names ("Cast-Iron").
    long: str  # Descriptive phrase used in sentences ("pre-seasoned cast iron").
    benefit: str  # Noun phrase: what the material gives the product.
    care: str  # A full care sentence.
    care_tag: str  # Short care label for the attributes object.
    kind: str  # Drives the verb used with it ("cut from", "crafted from", ...).
    attr: str  # Value stored in the attributes object.


def M(short, long, benefit, care, care_tag, kind="other", attr=None):
    return Material(short, long, benefit, care, care_tag, kind, attr or short.lower())


@dataclass(frozen=True)
class ProductType:
    name: str  # Title Case noun for product names ("Chef's Knife").
    noun: str  # Lower-case noun for sentences ("chef's knife").
    price: tuple  # (min, max) in minor units.
    weight: tuple  # (min, max) grams.
    mats: tuple  # Material ids (keys of MATERIALS).
    feats: tuple  # Noun phrases describing concrete features.
    uses: tuple  # Noun phrases that read naturally after "ideal for".
    adjs: tuple = ()  # Title Case adjectives usable in the name.
    colors: tuple | None = None  # Overrides the category palette; () = no colour.
    variants: tuple = ()  # (label, {attr: value}, price factor, weight factor).
    variant_in_name: float = 0.6  # Chance the variant label appears in the name.
    sizes: str | None = None  # Key into SIZE_SCHEMES.
    season: str | None = None  # Key into SEASONS; None = not seasonal.
    dims: tuple | None = None  # Typical (length, width, height) in cm.
    cap: tuple = ()  # Capacity choices in ml.
    extra: dict = field(default_factory=dict)  # attr -> choices (list) or (lo, hi) int range.
    facts: tuple = ()  # Sentence templates; may use {attr} of the extra attributes.
    plural: bool = False  # "these shoes are" / "a pair of shoes" rather than "this shoe is".
    mat_in_name: bool = True  # Whether the material's short form suits the name.
    care: str | None = None  # Overrides the material's care sentence.
    auds: tuple = ()  # Overrides the category's audiences.


def T(name, noun, price, weight, mats, feats, uses, **kw):
    return ProductType(name, noun, price, weight, tuple(mats), tuple(feats), tuple(uses), **kw)


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    prefix: str  # Three-letter SKU prefix.
    description: str
    brands: tuple
    colors: tuple
    styles: tuple
    audiences: tuple  # Plural noun phrases: "home cooks", "coffee lovers".
    notes: tuple  # Free sentences that suit any product of the category.
    types: tuple
    attr_key: str = "material"  # "metal" for jewellery, "key_ingredient" for beauty...
    worn: bool = False  # Worn items get "wear it ..." phrasing.
    portable: bool = False  # Carried items get a "light enough to carry" spec sentence.


def C(slug, name, prefix, description, *, brands, colors, styles, audiences, notes, types, **kw):
    return Category(
        slug, name, prefix, description, tuple(brands), tuple(colors), tuple(styles),
        tuple(audiences), tuple(notes), tuple(types), **kw,
    )


# ---------------------------------------------------------------------------
# Materials, shared by every category. The kind picks a natural verb:
# fabrics are "cut from", woods "crafted from", ingredients "made with"...
# ---------------------------------------------------------------------------

MATERIALS = {
    # Textiles.
    "cotton": M("Cotton", "soft combed cotton", "an easy, breathable feel", "Machine wash warm and tumble dry low.", "machine wash", "fabric"),
    "organic-cotton": M("Organic Cotton", "GOTS-certified organic cotton", "a soft hand without harsh chemicals", "Machine wash cold with like colours and tumble dry low.", "machine wash cold", "fabric"),
    "linen": M("Linen", "stonewashed European flax linen", "a relaxed texture that gets softer with every wash", "Machine wash cold, line dry and embrace the wrinkles.", "machine wash cold, line dry", "fabric"),
    "wool": M("Wool", "brushed lambswool", "natural warmth that still breathes", "Hand wash cool or dry clean, and dry flat.", "hand wash, dry flat", "fabric"),
    "merino": M("Merino", "fine 18.5-micron merino wool", "temperature regulation and natural odour resistance", "Machine wash cold on the wool cycle and dry flat.", "wool cycle, dry flat", "fabric", "merino wool"),
    "cashmere": M("Cashmere", "two-ply Mongolian cashmere", "featherlight warmth and a buttery hand", "Hand wash in cool water with a wool detergent and dry flat.", "hand wash, dry flat", "fabric"),
    "fleece": M("Fleece", "recycled polyester fleece", "warmth that dries quickly", "Machine wash cold and skip the fabric softener.", "machine wash cold", "fabric", "recycled polyester fleece"),
    "denim": M("Denim", "12-ounce selvedge denim", "structure that breaks in to your shape", "Wash inside out in cold water, as rarely as you can get away with.", "wash cold inside out", "fabric"),
    "down": M("Down", "responsibly sourced 650-fill duck down", "serious warmth for very little weight", "Spot clean, or wash on a gentle cycle and tumble dry with clean tennis balls.", "gentle wash, tumble dry low", "fabric", "duck down"),
    "nylon": M("Nylon", "ripstop nylon", "toughness without bulk", "Wipe clean with a damp cloth or hand wash and air dry.", "wipe clean", "fabric"),
    "polyester": M("Recycled Polyester", "recycled polyester spun from post-consumer bottles", "durability with a lighter footprint", "Machine wash cold and hang to dry.", "machine wash cold", "fabric", "recycled polyester"),
    "softshell": M("Softshell", "stretch softshell with a DWR finish", "wind resistance with room to move", "Machine wash cold, then tumble dry low to refresh the water repellency.", "machine wash cold", "fabric"),
    "gore": M("Waterproof", "a three-layer waterproof, breathable membrane", "dry comfort in steady rain", "Wash with a technical cleaner and tumble dry low to reactivate the coating.", "tech wash, tumble dry low", "fabric", "3-layer waterproof membrane"),
    "canvas": M("Canvas", "heavyweight waxed cotton canvas", "a rugged finish that ages well", "Spot clean with cold water and re-wax once a season.", "spot clean, re-wax", "fabric", "waxed canvas"),
    "velvet": M("Velvet", "plush cotton velvet", "rich colour and a soft nap", "Vacuum gently and spot clean; professional clean when needed.", "spot clean", "fabric"),
    "bamboo-fabric": M("Bamboo", "silky bamboo lyocell", "a cool, smooth feel against the skin", "Machine wash cold on gentle and line dry.", "gentle wash, line dry", "fabric", "bamboo lyocell"),
    "percale": M("Percale", "400-thread-count cotton percale", "a crisp, cool hand", "Machine wash warm and tumble dry low; remove promptly to limit creasing.", "machine wash warm", "fabric", "cotton percale"),
    "sateen": M("Sateen", "long-staple cotton sateen", "a smooth, lustrous drape", "Machine wash cool and tumble dry low.", "machine wash cool", "fabric", "cotton sateen"),
    "terry": M("Turkish Cotton", "long-loop Turkish cotton terry", "fast, generous absorbency", "Machine wash warm and tumble dry; skip the softener so it stays thirsty.", "machine wash warm", "fabric", "turkish cotton"),
    "waffle": M("Waffle", "honeycomb waffle-weave cotton", "a light, quick-drying texture", "Machine wash warm and tumble dry low.", "machine wash warm", "fabric", "waffle cotton"),
    "jersey": M("Jersey", "stretch cotton jersey", "all-day comfort and easy movement", "Machine wash cold and tumble dry low.", "machine wash cold", "fabric", "cotton jersey"),
    "spandex": M("Stretch", "a sweat-wicking nylon and elastane blend", "four-way stretch that holds its shape", "Machine wash cold and hang dry; no fabric softener.", "machine wash cold, hang dry", "fabric", "nylon-elastane"),
    "mesh": M("Mesh", "engineered breathable mesh", "airflow where you need it most", "Hand wash with mild soap and air dry away from heat.", "hand wash, air dry", "fabric", "engineered mesh"),
    "plush": M("Plush", "ultra-soft polyester plush", "a huggable, squishy feel", "Surface wash with a damp cloth, or machine wash in a laundry bag.", "surface wash", "fabric", "polyester plush"),
    "silk": M("Silk", "22-momme mulberry silk", "a smooth, cool touch that is kind to hair and skin", "Hand wash in cool water with a silk detergent and line dry in the shade.", "hand wash, line dry", "fabric", "mulberry silk"),
    "jute": M("Jute", "hand-woven natural jute", "earthy texture and good grip underfoot", "Vacuum regularly and blot spills right away.", "vacuum, blot spills", "fabric"),
    "boucle": M("Boucle", "nubby wool-blend boucle", "a soft, looped texture", "Vacuum with a brush attachment and spot clean with a mild solution.", "spot clean", "fabric", "boucle"),
    "performance-fabric": M("Performance Fabric", "a stain-resistant performance weave", "easy clean-up after kids and pets", "Blot spills and clean with mild soap and water.", "spot clean", "fabric", "performance fabric"),
    # Leathers and rubbers.
    "leather": M("Leather", "full-grain vegetable-tanned leather", "a rich patina that deepens with use", "Wipe with a dry cloth and condition every few months.", "condition occasionally", "leather", "full-grain leather"),
    "suede": M("Suede", "water-resistant suede", "a soft, velvety finish", "Brush with a suede brush and treat with a protector spray.", "brush, protect", "leather"),
    "vegan-leather": M("Vegan Leather", "plant-based vegan leather", "a leather look without animal products", "Wipe clean with a damp cloth.", "wipe clean", "leather", "vegan leather"),
    "rubber": M("Rubber", "natural tree rubber", "grip and flexibility", "Rinse with water and let dry out of direct sun.", "rinse, air dry", "other", "natural rubber"),
    "neoprene": M("Neoprene", "5 mm neoprene", "cushioning and light insulation", "Rinse in cool fresh water and dry away from direct sun.", "rinse, air dry", "fabric"),
    "cork": M("Cork", "sustainably harvested cork", "natural grip that improves with a little moisture", "Wipe with a damp cloth and let air dry.", "wipe clean", "other"),
    "tpe": M("TPE", "closed-cell TPE foam", "cushioning that resists sweat and odour", "Wipe down with mild soap and water after each session.", "wipe clean", "other", "tpe foam"),
    # Metals.
    "stainless": M("Stainless Steel", "18/10 stainless steel", "strength and resistance to rust and stains", "Dishwasher safe, though hand washing keeps the finish brightest.", "dishwasher safe", "metal", "stainless steel"),
    "cast-iron": M("Cast-Iron", "pre-seasoned cast iron", "even heat and a naturally non-stick surface over time", "Hand wash, dry immediately and rub with a thin coat of oil.", "hand wash, oil after use", "metal", "cast iron"),
    "enamel-cast-iron": M("Enamelled", "enamelled cast iron", "steady, even heat and easy clean-up", "Let it cool before washing by hand with warm soapy water.", "hand wash", "metal", "enamelled cast iron"),
    "knife-steel": M("High-Carbon", "high-carbon Japanese steel", "a keen edge that is easy to bring back with a whetstone", "Wipe dry after use and oil the blade lightly now and then.", "wipe dry, oil lightly", "metal", "high-carbon steel"),
    "carbon-steel": M("Carbon Steel", "spun carbon steel", "fast heat response and a seasoning that builds with use", "Hand wash, dry over a flame and wipe with a little oil.", "hand wash, oil after use", "metal", "carbon steel"),
    "copper": M("Copper", "tin-lined hammered copper", "precise, responsive heat control", "Hand wash and polish occasionally with a copper cleaner.", "hand wash, polish", "metal"),
    "aluminium": M("Aluminium", "anodised aluminium", "light weight with real strength", "Wipe clean or hand wash with mild soap.", "hand wash", "metal", "aluminium"),
    "nonstick": M("Nonstick", "hard-anodised aluminium with a PFAS-free ceramic coating", "effortless food release", "Hand wash with a soft sponge and use wooden or silicone tools.", "hand wash", "metal", "ceramic nonstick"),
    "brass": M("Brass", "solid brushed brass", "a warm glow that softens with age", "Dust with a soft cloth; polish with brass cleaner if you prefer a shine.", "dust, polish", "metal", "solid brass"),
    "iron": M("Steel", "powder-coated steel", "sturdiness with a clean matte finish", "Wipe with a dry cloth.", "wipe clean", "metal", "powder-coated steel"),
    "titanium": M("Titanium", "grade 2 titanium", "ultralight strength that never rusts", "Rinse and air dry.", "rinse", "metal"),
    "sterling": M("Sterling Silver", "recycled 925 sterling silver", "a bright, timeless shine", "Store in the pouch provided and polish with a silver cloth.", "polish with silver cloth", "metal", "sterling silver"),
    "gold-vermeil": M("Gold Vermeil", "18k gold vermeil over sterling silver", "the glow of gold at an everyday price", "Take it off before swimming and wipe with a soft cloth.", "keep dry, wipe clean", "metal", "gold vermeil"),
    "gold-14k": M("14k Gold", "solid 14-karat recycled gold", "heirloom quality that will not tarnish", "Clean with warm soapy water and a soft brush.", "warm soapy water", "metal", "14k gold"),
    "steel-316": M("Steel", "316L surgical-grade stainless steel", "scratch resistance and a hypoallergenic finish", "Wipe with a soft cloth; rinse in fresh water after a swim.", "wipe clean", "metal", "316l stainless steel"),
    # Woods, stone, ceramics, glass.
    "oak": M("Oak", "solid FSC-certified white oak", "a sturdy, honey-toned grain", "Dust with a soft cloth and wipe spills promptly.", "wipe clean", "wood", "white oak"),
    "walnut": M("Walnut", "solid American black walnut", "deep, chocolate-toned grain", "Wipe with a damp cloth and refresh with furniture oil once a year.", "wipe clean, oil yearly", "wood", "black walnut"),
    "acacia": M("Acacia", "oiled acacia wood", "a warm, varied grain with natural water resistance", "Hand wash, dry right away and oil now and then with food-safe mineral oil.", "hand wash, oil occasionally", "wood"),
    "bamboo": M("Bamboo", "fast-growing moso bamboo", "a light, renewable sturdiness", "Hand wash and let air dry; never soak.", "hand wash", "wood"),
    "beech": M("Beech", "smooth European beech", "a pale, tight grain and a smooth, splinter-free finish", "Hand wash and dry straight away.", "hand wash", "wood"),
    "maple": M("Maple", "hard rock maple", "dense, hard-wearing toughness", "Hand wash, dry upright and oil monthly.", "hand wash, oil monthly", "wood"),
    "teak": M("Teak", "grade-A reclaimed teak", "natural oils that shrug off rain and sun", "Leave it to silver naturally or apply teak oil each spring.", "oil each spring", "wood"),
    "rattan": M("Rattan", "hand-woven natural rattan", "a breezy, textured look", "Dust with a soft brush and keep out of constant damp.", "dust, keep dry", "wood"),
    "marble": M("Marble", "honed Carrara marble", "a cool, elegant surface", "Wipe with a damp cloth and avoid acidic cleaners.", "wipe clean, no acids", "stone"),
    "stoneware": M("Stoneware", "reactive-glaze stoneware", "hand-finished character; no two are quite alike", "Dishwasher and microwave safe.", "dishwasher safe", "ceramic"),
    "porcelain": M("Porcelain", "fine white porcelain", "a thin, bright and surprisingly strong body", "Dishwasher and microwave safe.", "dishwasher safe", "ceramic"),
    "ceramic": M("Ceramic", "glazed ceramic", "a smooth, easy-clean finish", "Wipe with a damp cloth; dishwasher safe if it is tableware.", "wipe clean", "ceramic"),
    "terracotta": M("Terracotta", "unglazed terracotta", "breathability that keeps roots healthy", "Bring indoors before frost to prevent cracking.", "protect from frost", "ceramic"),
    "glass": M("Glass", "heat-resistant borosilicate glass", "clarity and resistance to thermal shock", "Dishwasher safe on the top rack.", "dishwasher safe", "glass", "borosilicate glass"),
    "crystal": M("Crystal", "lead-free crystal", "brilliant clarity and a fine rim", "Hand wash to keep its sparkle.", "hand wash", "glass", "lead-free crystal"),
    "recycled-glass": M("Recycled Glass", "hand-blown recycled glass", "a faint green tint and tiny bubbles that show it was made by hand", "Hand wash recommended.", "hand wash", "glass", "recycled glass"),
    # Plastics, composites and the rest.
    "silicone": M("Silicone", "food-grade platinum silicone", "heat resistance to 260 °C and a flexible grip", "Dishwasher safe.", "dishwasher safe", "other", "food-grade silicone"),
    "abs": M("ABS", "tough recycled ABS plastic", "impact resistance for everyday knocks", "Wipe clean with a damp cloth.", "wipe clean", "other", "recycled abs"),
    "polycarbonate": M("Polycarbonate", "impact-resistant polycarbonate", "a lightweight shell that flexes instead of cracking", "Wipe clean with mild soap and water.", "wipe clean", "other"),
    "carbon": M("Carbon", "unidirectional carbon fibre", "stiffness at a remarkably low weight", "Wipe clean and inspect for damage after any crash.", "wipe clean, inspect", "other", "carbon fibre"),
    "resin": M("Resin", "weatherproof recycled resin", "UV stability that will not fade or crack", "Hose down or wipe with soapy water.", "hose down", "other", "recycled resin"),
    "paper": M("Paper", "acid-free 120 gsm paper", "smooth writing with no bleed-through", "Keep dry.", "keep dry", "other", "acid-free paper"),
    "felt": M("Felt", "pressed merino felt", "a soft, sound-dampening texture", "Spot clean with cool water.", "spot clean", "fabric", "merino felt"),
    "wax": M("Soy Wax", "hand-poured soy and coconut wax", "a clean, slow burn", "Trim the wick to 5 mm before each burn and never leave it unattended.", "trim wick", "other", "soy-coconut wax"),
    "board": M("Greyboard", "thick recycled greyboard", "pieces that stay flat through years of play", "Keep it dry and store the pieces in the box.", "keep dry", "other", "recycled greyboard"),
    "seed": M("Heirloom", "open-pollinated, non-GMO heirloom seed", "plants whose seed you can save for next year", "Keep the packets cool and dry until planting.", "store cool and dry", "seed", "heirloom seed"),
    "hemp": M("Hemp", "durable woven hemp", "strength and natural antimicrobial properties", "Machine wash cold and air dry.", "machine wash cold", "fabric"),
}

# Category-specific "materials" that are really ingredients or origins. They
# use the same record so the description code does not need special cases.
MATERIALS.update({
    # Beauty: the key ingredient stands in for the material.
    "shea": M("Shea Butter", "unrefined shea butter", "deep, lasting moisture", "Store in a cool, dry place and use within 12 months of opening.", "use within 12 months", "ingredient", "shea butter"),
    "argan": M("Argan", "cold-pressed Moroccan argan oil", "shine and softness without a greasy feel", "Keep the cap closed and away from direct sunlight.", "store away from sun", "ingredient", "argan oil"),
    "hyaluronic": M("Hyaluronic", "multi-weight hyaluronic acid", "plumping hydration at several layers of the skin", "Use within 6 months of opening.", "use within 6 months", "ingredient", "hyaluronic acid"),
    "vitamin-c": M("Vitamin C", "stabilised 15% vitamin C", "a brighter, more even tone", "Store in a cool, dark place; it keeps best in the fridge.", "store cool and dark", "ingredient", "vitamin c"),
    "niacinamide": M("Niacinamide", "10% niacinamide with zinc", "smaller-looking pores and a calmer complexion", "Use within 12 months of opening.", "use within 12 months", "ingredient", "niacinamide"),
    "aloe": M("Aloe", "organic aloe vera", "instant cooling relief", "Store below 25 °C.", "store below 25 °C", "ingredient", "aloe vera"),
    "rosehip": M("Rosehip", "cold-pressed rosehip seed oil", "nourishment rich in vitamin A and fatty acids", "Keep away from heat and light.", "store away from light", "ingredient", "rosehip oil"),
    "clay": M("Clay", "French green clay", "a deep clean that draws out excess oil", "Close the lid tightly so it does not dry out.", "keep lid closed", "ingredient", "french green clay"),
    "ceramide": M("Ceramide", "a ceramide and cholesterol complex", "a stronger, less reactive skin barrier", "Use within 12 months of opening.", "use within 12 months", "ingredient", "ceramides"),
    "oat": M("Oat", "colloidal oatmeal", "gentle soothing for dry, itchy skin", "Store in a cool, dry place.", "store cool and dry", "ingredient", "colloidal oatmeal"),
    # Coffee and tea: the origin stands in for the material.
    "ethiopia": M("Ethiopian", "washed Yirgacheffe arabica from Ethiopia", "bright, floral notes of jasmine and bergamot", "Keep in the resealable bag away from light and use within a month of opening.", "reseal, use within a month", "origin", "arabica, ethiopia"),
    "colombia": M("Colombian", "Huila arabica from small Colombian farms", "a round body with caramel and red apple", "Keep sealed, away from light and heat.", "keep sealed", "origin", "arabica, colombia"),
    "sumatra": M("Sumatra", "wet-hulled Sumatran arabica", "an earthy, syrupy cup with dark chocolate", "Keep sealed, away from light and heat.", "keep sealed", "origin", "arabica, sumatra"),
    "espresso-blend": M("Espresso", "a blend of Brazilian and Guatemalan arabica", "a thick crema with notes of cocoa and hazelnut", "Keep sealed and grind just before brewing.", "keep sealed", "origin", "arabica blend"),
    "darjeeling": M("Darjeeling", "first-flush Darjeeling leaves", "a light, muscatel brightness", "Store in an airtight tin away from strong smells.", "airtight storage", "origin", "darjeeling black tea"),
    "sencha": M("Sencha", "steamed Japanese sencha", "a grassy, sweet and savoury cup", "Store airtight and use within three months of opening.", "airtight storage", "origin", "japanese green tea"),
    "rooibos": M("Rooibos", "organic South African rooibos", "naturally caffeine-free sweetness", "Store airtight away from sunlight.", "airtight storage", "origin", "rooibos"),
    "oolong": M("Oolong", "roasted Taiwanese oolong", "toasty, honeyed depth that lasts several steeps", "Store airtight away from sunlight.", "airtight storage", "origin", "oolong tea"),
    "matcha": M("Matcha", "ceremonial-grade Uji matcha", "vivid colour and a smooth, umami sweetness", "Refrigerate after opening and use within six weeks.", "refrigerate after opening", "origin", "matcha"),
})

# Size ladders. A product gets a contiguous slice of one of these, so that a
# shoe never comes in "S" and a T-shirt never comes in "10.5".
SIZE_SCHEMES = {
    "apparel": ("XS", "S", "M", "L", "XL", "XXL"),
    "mens-shoes": ("7", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12", "13"),
    "womens-shoes": ("5", "6", "6.5", "7", "7.5", "8", "8.5", "9", "10", "11"),
    "kids": ("2T", "3T", "4T", "5", "6", "7", "8", "10", "12"),
    "kids-shoes": ("8C", "9C", "10C", "11C", "12C", "13C", "1Y", "2Y", "3Y"),
    "bed": ("Twin", "Full", "Queen", "King", "California King"),
    "ring": ("5", "6", "7", "8", "9", "10"),
    "pet": ("XS", "S", "M", "L", "XL"),
    "one-size": ("One Size",),
    "glove": ("S", "M", "L", "XL"),
}

# Seasons: the value stored in the attributes, and sentences that say it.
# "worn" phrasing is used for clothing, footwear and accessories.
SEASONS = {
    "winter": ("winter", (
        "Warm enough for winter hikes, frosty commutes and long days on the slopes.",
        "When the temperature drops below freezing, {this} {is} what you will reach for.",
        "{It} {is} made for cold, windy days: winter walks, ski-lift queues and snowy school runs.",
        "Layer {it_obj} up on the coldest mornings of the year and stay comfortable all day.",
    )),
    "fall-winter": ("fall/winter", (
        "{It} come{s} into {its} own from the first crisp autumn mornings through the end of winter.",
        "Perfect for cool autumn evenings, and just as welcome on a grey winter weekend.",
        "A cold-weather staple for the months when you want something cosy.",
    )),
    "summer": ("summer", (
        "Light and breathable, {it} {is} made for hot summer days and warm nights.",
        "Pack {it_obj} for beach holidays, city heatwaves and long summer evenings.",
        "{It} stay{s} cool and comfortable even when the thermometer climbs.",
    )),
    "spring-summer": ("spring/summer", (
        "Made for the warmer months, from the first spring sunshine to late-summer evenings.",
        "Bring {it_obj} out in spring and keep {it_obj} in rotation all summer long.",
        "A warm-weather favourite for picnics, patios and long light evenings.",
    )),
    "rain": ("all-season", (
        "Rain, wind or sleet, {it} keep{s} you dry on wet commutes and stormy trail days.",
        "{It} {is} the piece to grab when the forecast says showers.",
        "Built for wet shoulder seasons, when the weather changes by the hour.",
    )),
    "all": ("all-season", (
        "{It} work{s} year-round, layered up in winter or on {its} own in summer.",
        "There is nothing seasonal about {it_obj}: expect to use {it_obj} every month of the year.",
    )),
}


# ---------------------------------------------------------------------------
# Categories. Each lists its own brands, palette, styles, audiences, a few
# free "notes" sentences, and its product types. Feature and use phrases are
# noun phrases so they slot into many sentence templates. Fact templates may
# use {this}/{It}/{is}/{s} (agreement), {noun}, {brand}, {color} and any key of
# the type's extra attributes.
# ---------------------------------------------------------------------------

CATEGORIES: list[Category] = []

CATEGORIES.append(C(
    "kitchen", "Kitchen", "KIT",
    "Knives, boards, utensils, storage and small tools for everyday cooking and baking.",
    brands=("Hearth & Hob", "Tallow", "Mise", "Grainhouse", "Kettleby"),
    colors=("Sage", "Charcoal", "Cream", "Terracotta", "Slate Blue", "Mustard", "Natural", "Olive"),
    styles=("minimalist", "farmhouse", "professional", "Scandinavian", "classic"),
    audiences=("home cooks", "weekend bakers", "anyone setting up a first kitchen", "people who cook every night", "newlyweds"),
    notes=(
        "It earns its drawer space by being the tool you reach for first.",
        "Small, well-made kitchen tools make weeknight cooking noticeably less of a chore.",
        "Professional cooks helped test the design, and it shows in the details.",
        "It makes a practical housewarming gift that actually gets used.",
    ),
    types=(
        T("Chef's Knife", "chef's knife", (4500, 18900), (180, 260), ("stainless", "knife-steel"),
          ("a full-tang blade with a riveted handle", "a 15-degree edge that arrives razor sharp", "a balanced bolster that protects your fingers", "a tapered spine for rocking cuts"),
          ("slicing onions", "breaking down a chicken", "fine herb chiffonade", "everyday prep"),
          adjs=("Forged", "Damascus", "Professional", "Japanese-Style", "Classic"), colors=(),
          variants=(("18 cm", {"blade_length_cm": 18}, 0.85, 0.85), ("20 cm", {"blade_length_cm": 20}, 1.0, 1.0), ("23 cm", {"blade_length_cm": 23}, 1.15, 1.15)),
          extra={"hardness_hrc": (58, 61)}, care="Hand wash and dry right away; never put a good knife in the dishwasher.",
          facts=("The steel is hardened to {hardness_hrc} HRC, so the edge holds through weeks of daily use.", "A honing rod once a week keeps {this} {noun} cutting like new.")),
        T("Cutting Board", "cutting board", (2400, 11900), (900, 3200), ("walnut", "maple", "acacia", "bamboo"),
          ("a deep juice groove around the edge", "end-grain construction that is kind to knife edges", "non-slip rubber feet", "a reversible serving side"),
          ("carving roasts", "chopping vegetables", "serving cheese and bread", "kneading small batches of dough"),
          adjs=("End-Grain", "Reversible", "Thick", "Carving", "Everyday"), colors=(),
          variants=(("Small", {"size": "small"}, 0.7, 0.6), ("Medium", {"size": "medium"}, 1.0, 1.0), ("Large", {"size": "large"}, 1.35, 1.5)),
          dims=(45, 30, 4), facts=("Rub it with board oil once a month and it will last for decades.",)),
        T("Apron", "apron", (2200, 5900), (220, 420), ("linen", "canvas", "cotton", "denim"),
          ("adjustable cross-back straps", "two deep front pockets", "a loop for a kitchen towel", "brass hardware"),
          ("baking days", "barbecues", "pottery and craft projects", "serious Sunday cooking"),
          adjs=("Cross-Back", "Bib", "Workshop", "Chef's", "Utility"), sizes="one-size",
          facts=("The straps cross at the back, so the weight sits on your shoulders rather than your neck.",)),
        T("Utensil Set", "utensil set", (1900, 6900), (300, 900), ("beech", "silicone", "acacia", "stainless"),
          ("a slotted turner, spoon, ladle and spatula", "heat-resistant heads that will not scratch nonstick pans", "hanging loops on every handle", "a matching ceramic crock"),
          ("stirring risotto", "flipping pancakes", "everyday stovetop cooking"),
          adjs=("Five-Piece", "Essential", "Starter", "Chef's", "Seven-Piece"),
          facts=("Every piece is one solid form, so there are no seams to trap food.",)),
        T("Mixing Bowl Set", "set of mixing bowls", (2900, 8900), (900, 2600), ("stainless", "glass", "stoneware"),
          ("three nesting sizes that store in the space of one", "a pouring spout on each bowl", "silicone bases that stop them sliding", "snap-on lids for proofing dough"),
          ("whisking batters", "proofing bread", "tossing salads", "meal prep"),
          adjs=("Nesting", "Baker's", "Three-Piece", "Prep", "Classic"),
          cap=(1500, 3000, 4500, 5000)),
        T("Storage Canister", "storage canister", (1400, 4500), (350, 1200), ("glass", "ceramic", "stainless"),
          ("an airtight bamboo lid with a silicone seal", "a wide mouth for scooping", "a stackable shape", "a chalkboard label"),
          ("flour and sugar", "pasta and rice", "coffee beans", "tidy pantry shelves"),
          adjs=("Airtight", "Pantry", "Stackable", "Wide-Mouth"),
          cap=(750, 1200, 1800, 2500)),
        T("Kitchen Scale", "kitchen scale", (1900, 5900), (450, 900), ("stainless", "glass", "bamboo"),
          ("1-gram precision up to 5 kg", "a tare button for weighing into any bowl", "a backlit display", "USB-C charging"),
          ("precise baking", "portioning meals", "weighing coffee for pour-over"),
          adjs=("Digital", "Precision", "Slim", "Baker's"), dims=(22, 17, 2), care="Wipe the platform with a damp cloth; never submerge it.",
          facts=("It switches between grams, ounces and millilitres with one tap.",)),
        T("Tea Towel Set", "set of tea towels", (1500, 3900), (180, 400), ("linen", "waffle", "cotton"),
          ("a pack of three", "hanging loops sewn into the corner", "a lint-free weave that polishes glassware", "a striped jacquard border"),
          ("drying dishes", "covering proofing dough", "lining bread baskets"),
          adjs=("Striped", "Checked", "Herringbone", "Everyday")),
    ),
))

CATEGORIES.append(C(
    "cookware", "Cookware", "CKW",
    "Pans, pots, Dutch ovens and bakeware built for even heat and years of use.",
    brands=("Forge & Flame", "Castellan", "Ironbark", "Maison Cuivre", "Steelhead"),
    colors=("Cherry Red", "Deep Teal", "Matte Black", "Cream", "Flame Orange", "Graphite", "Forest Green"),
    styles=("professional", "heirloom", "modern", "French bistro"),
    audiences=("serious home cooks", "new homeowners", "people who love slow Sunday cooking", "anyone upgrading from cheap nonstick"),
    notes=(
        "It works on gas, electric, ceramic and induction hobs.",
        "It is the sort of pan you buy once and hand down.",
        "Oven safe to 260 °C, so you can start on the hob and finish in the oven.",
        "Good cookware makes even simple weeknight meals taste better.",
    ),
    types=(
        T("Skillet", "skillet", (2900, 12900), (1100, 3400), ("cast-iron", "carbon-steel", "stainless", "nonstick"),
          ("a helper handle for lifting when it is full", "pour spouts on both sides", "gently sloped walls for easy flipping", "a flat base that sits true on induction"),
          ("searing steaks", "cornbread", "shallow-frying", "weeknight stir-fries", "crispy fried eggs"),
          adjs=("Heritage", "Pro", "Everyday", "Lightweight", "Chef's"), colors=(),
          variants=(("20 cm", {"diameter_cm": 20}, 0.75, 0.65), ("26 cm", {"diameter_cm": 26}, 1.0, 1.0), ("30 cm", {"diameter_cm": 30}, 1.25, 1.35)),
          variant_in_name=0.8),
        T("Dutch Oven", "Dutch oven", (7900, 34900), (3800, 6200), ("enamel-cast-iron", "cast-iron"),
          ("a tight-fitting, self-basting lid", "wide loop handles you can grip with oven mitts", "a light interior enamel that shows browning", "a stainless knob rated for high oven heat"),
          ("braises and stews", "no-knead bread", "slow-cooked beans", "soups for a crowd"),
          adjs=("Round", "Oval", "Signature", "Heritage", "Classic"),
          variants=(("3.8 L", {"capacity_ml": 3800}, 0.8, 0.8), ("5.5 L", {"capacity_ml": 5500}, 1.0, 1.0), ("7 L", {"capacity_ml": 7000}, 1.2, 1.2)),
          facts=("The heavy walls hold heat so steadily that a stew can simmer for hours at the lowest setting.",)),
        T("Saucepan", "saucepan", (3900, 14900), (900, 2100), ("stainless", "copper", "nonstick"),
          ("tri-ply construction up the sides", "measurement marks etched inside", "a glass lid with a steam vent", "a stay-cool handle"),
          ("sauces and custards", "boiling eggs", "reheating soup", "cooking grains"),
          adjs=("Tri-Ply", "Classic", "Pro", "Lidded"),
          variants=(("1.5 L", {"capacity_ml": 1500}, 0.85, 0.8), ("2 L", {"capacity_ml": 2000}, 1.0, 1.0), ("3 L", {"capacity_ml": 3000}, 1.2, 1.25))),
        T("Wok", "wok", (3900, 11900), (1200, 2400), ("carbon-steel", "cast-iron", "nonstick"),
          ("a round-bottom bowl shape for tossing", "a long wooden handle that stays cool", "a flattened base for home hobs", "a domed lid"),
          ("stir-fries", "steaming dumplings", "deep-frying tempura", "fried rice"),
          adjs=("Hand-Hammered", "Flat-Bottom", "Pow", "Cantonese-Style"), colors=(),
          variants=(("30 cm", {"diameter_cm": 30}, 0.9, 0.9), ("36 cm", {"diameter_cm": 36}, 1.1, 1.2))),
        T("Stockpot", "stockpot", (4900, 15900), (2400, 4600), ("stainless", "enamel-cast-iron"),
          ("an encapsulated base that will not scorch", "a pasta insert", "riveted side handles", "a heavy lid that locks in moisture"),
          ("bone broth", "pasta for a crowd", "batch-cooking chilli", "boiling corn and crab"),
          adjs=("Tall", "Classic", "Pro", "Lidded"),
          variants=(("6 L", {"capacity_ml": 6000}, 0.85, 0.8), ("8 L", {"capacity_ml": 8000}, 1.0, 1.0), ("12 L", {"capacity_ml": 12000}, 1.3, 1.3))),
        T("Sheet Pan", "sheet pan", (1900, 4900), (600, 1300), ("aluminium", "stainless", "carbon-steel"),
          ("rolled edges that resist warping", "a natural finish that browns evenly", "a matching wire cooling rack"),
          ("roasting vegetables", "sheet-pan dinners", "baking cookies", "toasting nuts"),
          adjs=("Half", "Quarter", "Baker's", "Heavy-Gauge", "Rimmed"), colors=(), dims=(45, 33, 3)),
        T("Loaf Pan", "loaf pan", (1500, 3900), (400, 900), ("carbon-steel", "stoneware", "glass"),
          ("straight sides for tidy slices", "a nonstick release that needs little greasing", "a reinforced rim"),
          ("banana bread", "sandwich loaves", "meatloaf", "pound cake"),
          adjs=("Classic", "Pullman", "Baker's"), dims=(26, 13, 7)),
        T("Grill Pan", "grill pan", (3900, 9900), (1800, 3200), ("cast-iron", "enamel-cast-iron", "nonstick"),
          ("deep ridges that leave proper char marks", "a square cooking surface", "a matching press"),
          ("indoor grilling", "paninis", "charred vegetables", "salmon fillets"),
          adjs=("Square", "Ridged", "Stovetop"), colors=()),
    ),
))

CATEGORIES.append(C(
    "tableware", "Tableware", "TBL",
    "Plates, bowls, glassware and flatware for everyday meals and dinner parties.",
    brands=("Table & Kiln", "Porcella", "Northfield Pottery", "Claybird", "Linnea"),
    colors=("Speckled White", "Oatmeal", "Ink Blue", "Moss", "Blush", "Charcoal", "Sand", "Clear"),
    styles=("rustic", "modern", "handmade", "coastal", "minimalist"),
    audiences=("people who love hosting", "couples building a wedding registry", "anyone refreshing their dinnerware", "first-time homeowners"),
    notes=(
        "Mix it with pieces you already own; it is designed to play well with others.",
        "It looks special enough for guests and sturdy enough for Tuesday night.",
        "Each piece is finished by hand, so small variations are part of the charm.",
        "Set the table with it and even a takeaway feels like an occasion.",
    ),
    types=(
        T("Dinner Plate Set", "set of dinner plates", (3900, 11900), (2400, 4200), ("stoneware", "porcelain", "ceramic"),
          ("a set of four 27 cm plates", "a raised rim that keeps sauces in place", "a satin glaze that resists cutlery marks", "an unglazed foot ring"),
          ("everyday dinners", "dinner parties", "holiday tables"),
          adjs=("Coupe", "Rimmed", "Handmade", "Reactive-Glaze", "Everyday")),
        T("Pasta Bowl Set", "set of pasta bowls", (3400, 8900), (1800, 3200), ("stoneware", "porcelain"),
          ("four wide, shallow bowls", "a generous 1-litre capacity", "sloped sides for twirling spaghetti"),
          ("pasta nights", "grain bowls", "salads", "ramen"),
          adjs=("Wide", "Shallow", "Handmade", "Speckled"), cap=(900, 1000, 1200)),
        T("Wine Glass Set", "set of wine glasses", (2900, 9900), (600, 1400), ("crystal", "recycled-glass", "glass"),
          ("four glasses in a gift box", "a laser-cut rim", "a generous bowl that lets wine breathe", "a stem that is pulled, not glued"),
          ("red and white wine", "dinner parties", "weekend aperitivo"),
          adjs=("Universal", "Stemless", "Bordeaux", "Burgundy"), colors=("Clear", "Smoke", "Amber"), cap=(450, 550, 650),
          facts=("It is the sort of gift wine lovers actually keep in the cupboard.",)),
        T("Tumbler Set", "set of tumblers", (1900, 4900), (700, 1500), ("recycled-glass", "glass", "crystal"),
          ("a set of six", "a heavy base that feels good in the hand", "a stackable design"),
          ("water and juice", "cocktails on the rocks", "iced coffee"),
          adjs=("Ribbed", "Fluted", "Stackable", "Bubble"), colors=("Clear", "Sea Green", "Amber", "Smoke"), cap=(300, 350, 400)),
        T("Flatware Set", "flatware set", (4900, 19900), (1600, 3400), ("stainless",),
          ("a 20-piece service for four", "forged, weighted handles", "a satin or mirror finish", "a serrated dinner knife"),
          ("everyday meals", "entertaining", "a new household"),
          adjs=("Satin", "Hammered", "Mirror-Finish", "Bistro", "Modern"), colors=("Silver", "Brushed Gold", "Matte Black", "Copper")),
        T("Serving Platter", "serving platter", (2900, 8900), (900, 2400), ("stoneware", "marble", "acacia", "porcelain"),
          ("an oval shape that holds a whole roast", "a gently raised edge", "felt pads to protect the table"),
          ("holiday roasts", "charcuterie and cheese", "summer salads", "grazing boards"),
          adjs=("Oval", "Large", "Rectangular", "Footed"), dims=(40, 28, 4)),
        T("Mug Set", "set of mugs", (2400, 5900), (1200, 2000), ("stoneware", "porcelain", "ceramic"),
          ("a set of four", "a thumb-rest handle", "a thick wall that keeps drinks hot"),
          ("morning coffee", "tea breaks", "hot chocolate"),
          adjs=("Handmade", "Stacking", "Speckled", "Diner"), cap=(300, 350, 400, 450)),
        T("Salad Servers", "salad servers", (1500, 4500), (120, 320), ("acacia", "walnut", "bamboo", "brass"),
          ("long handles that reach the bottom of deep bowls", "a slotted and a solid head", "a carved, comfortable grip"),
          ("tossing salads", "serving pasta", "family-style dinners"),
          adjs=("Carved", "Long", "Classic"), colors=(), plural=True),
    ),
))

CATEGORIES.append(C(
    "home-decor", "Home Decor", "DEC",
    "Vases, candles, mirrors, rugs, cushions and wall art that make a house feel like home.",
    brands=("Willow & Wren", "Hollis House", "Stillroom", "Atelier Nord", "Marlow Lane"),
    colors=("Ivory", "Rust", "Sage", "Ochre", "Dusty Pink", "Charcoal", "Natural", "Navy"),
    styles=("bohemian", "mid-century", "Scandinavian", "coastal", "Japandi", "modern farmhouse"),
    audiences=("renters who want personality without drilling holes", "new homeowners", "anyone styling a bookshelf", "people hard to buy gifts for"),
    notes=(
        "It is an easy way to bring warmth to a room without redecorating.",
        "Style it alone on a side table or group it with other pieces in odd numbers.",
        "The kind of piece guests pick up and ask about.",
        "It makes a thoughtful housewarming gift.",
    ),
    types=(
        T("Vase", "vase", (1900, 8900), (400, 2200), ("ceramic", "recycled-glass", "terracotta", "stoneware"),
          ("a narrow neck that holds single stems upright", "a watertight glazed interior", "a weighted base"),
          ("fresh flowers", "dried pampas and grasses", "a bare shelf that needs height"),
          adjs=("Bud", "Tall", "Ribbed", "Sculptural", "Amphora"), dims=(15, 15, 30)),
        T("Scented Candle", "scented candle", (1800, 5400), (300, 800), ("wax",),
          ("a 50-hour burn time", "a cotton wick that does not smoke", "a reusable ceramic vessel"),
          ("cosy evenings", "relaxing baths", "a welcoming entryway"),
          adjs=("Fig & Cedar", "Sea Salt", "Amber", "Tobacco Leaf", "Wild Fig", "Pine Forest"), colors=("Ivory", "Amber", "Smoke", "Sage"),
          extra={"burn_hours": (40, 70)}, care="Trim the wick to 5 mm before each burn and never leave it unattended.",
          facts=("Expect roughly {burn_hours} hours of burn time from it.", "The scent fills a living room without being overpowering.")),
        T("Throw Pillow", "throw pillow", (2400, 6900), (400, 900), ("linen", "velvet", "boucle", "wool"),
          ("a feather-down insert", "a hidden zip closure", "a knife-edge finish"),
          ("sofas and reading chairs", "layering on a bed", "a pop of colour"),
          adjs=("Fringed", "Textured", "Tufted", "Striped", "Lumbar"),
          variants=(("50 x 50 cm", {"size": "50 x 50 cm"}, 1.0, 1.0), ("30 x 50 cm", {"size": "30 x 50 cm"}, 0.9, 0.8)), variant_in_name=0.2),
        T("Wall Mirror", "wall mirror", (5900, 29900), (3000, 12000), ("brass", "oak", "rattan", "iron"),
          ("a distortion-free 5 mm mirror", "a French cleat for easy hanging", "a slim frame"),
          ("entryways", "making a small room feel larger", "above a console or fireplace"),
          adjs=("Round", "Arched", "Oval", "Sunburst", "Full-Length"), colors=(), dims=(60, 3, 80)),
        T("Area Rug", "area rug", (8900, 59900), (4000, 18000), ("wool", "jute", "cotton"),
          ("a hand-knotted or hand-tufted construction", "a low pile that lets doors swing over it", "a non-shedding finish"),
          ("living rooms", "bedrooms", "defining a dining area"),
          adjs=("Hand-Knotted", "Flatweave", "Diamond", "Kilim", "Moroccan"),
          variants=(("120 x 180 cm", {"size": "120 x 180 cm"}, 0.6, 0.5), ("160 x 230 cm", {"size": "160 x 230 cm"}, 1.0, 1.0), ("200 x 300 cm", {"size": "200 x 300 cm"}, 1.5, 1.6)),
          variant_in_name=0.3, facts=("Pair it with a rug pad to keep it flat and give it extra cushion.",)),
        T("Framed Print", "framed print", (3900, 17900), (800, 3200), ("oak", "walnut", "iron"),
          ("archival giclée printing on cotton rag paper", "a bevelled mat", "glare-reducing acrylic glazing", "a pre-installed wire"),
          ("gallery walls", "above the sofa", "a home office"),
          adjs=("Botanical", "Abstract", "Coastal", "Mountain", "Line-Drawing", "Vintage Map"), colors=(), dims=(50, 3, 70)),
        T("Storage Basket", "storage basket", (1900, 6900), (300, 1400), ("rattan", "jute", "felt", "canvas"),
          ("sturdy carry handles", "a fabric lining", "a lid that doubles as a tray"),
          ("blankets and throws", "toys in the living room", "laundry", "magazines and plants"),
          adjs=("Woven", "Round", "Lidded", "Belly", "Nesting")),
    ),
))

CATEGORIES.append(C(
    "bedding", "Bedding", "BED",
    "Sheets, duvets, pillows and blankets for better sleep.",
    brands=("Slumberfield", "Nightjar", "Linden & Loom", "Quietude", "Parachute Lane"),
    colors=("White", "Oat", "Sage", "Clay", "Stone Grey", "Midnight", "Blush", "Sky Blue"),
    styles=("hotel", "relaxed", "classic", "minimal"),
    audiences=("hot sleepers", "anyone who loves a made bed", "guests in the spare room", "couples with different sleep temperatures"),
    notes=(
        "Every set is OEKO-TEX certified, so nothing harsh touches your skin.",
        "Sleep on it for 100 nights; if you do not love it, send it back.",
        "Better sleep often starts with what is on the bed.",
    ),
    types=(
        T("Sheet Set", "sheet set", (8900, 29900), (1400, 2800), ("percale", "sateen", "linen", "bamboo-fabric", "organic-cotton"),
          ("a fitted sheet with 40 cm deep pockets", "a flat sheet and two pillowcases", "labelled sides so you can find the long edge"),
          ("hot summer nights", "year-round comfort", "guest rooms"),
          adjs=("Crisp", "Hotel", "Washed", "Classic", "Cooling"), sizes="bed", season="all"),
        T("Duvet Cover", "duvet cover", (9900, 27900), (1100, 2200), ("linen", "percale", "sateen", "organic-cotton"),
          ("hidden button closures", "interior corner ties that keep the duvet in place", "matching pillow shams"),
          ("refreshing a bedroom", "layered, relaxed bedding"),
          adjs=("Relaxed", "Striped", "Washed", "Classic"), sizes="bed"),
        T("Duvet", "duvet", (12900, 44900), (1200, 2600), ("down", "polyester", "wool"),
          ("baffle-box stitching that keeps the fill even", "a cotton shell", "corner loops"),
          ("cold bedrooms", "winter nights", "light sleepers"),
          adjs=("All-Season", "Lightweight", "Winter-Weight", "Cloud"), colors=("White",), sizes="bed", season="fall-winter",
          extra={"warmth": ["light", "medium", "warm"]}, facts=("It is rated {warmth} warmth, so pick it to match how you sleep.",)),
        T("Pillow", "pillow", (3900, 12900), (600, 1400), ("down", "polyester", "wool", "bamboo-fabric"),
          ("an adjustable fill you can add or remove", "a breathable cotton cover", "a zip so you can tune the loft"),
          ("side sleepers", "back sleepers", "reading in bed"),
          adjs=("Medium", "Firm", "Soft", "Adjustable", "Side-Sleeper"), colors=("White",),
          variants=(("Standard", {"size": "standard"}, 1.0, 1.0), ("King", {"size": "king"}, 1.2, 1.25)), variant_in_name=0.5),
        T("Throw Blanket", "throw blanket", (4900, 19900), (600, 1800), ("wool", "cashmere", "cotton", "fleece", "waffle"),
          ("fringed edges", "a generous 130 x 180 cm size", "a double-faced weave"),
          ("film nights on the sofa", "the foot of the bed", "chilly evenings on the porch"),
          adjs=("Chunky Knit", "Herringbone", "Plaid", "Waffle", "Cable-Knit"), season="fall-winter"),
        T("Silk Pillowcase", "silk pillowcase", (3900, 8900), (90, 180), ("silk",),
          ("an envelope closure", "a seamless face", "a standard or queen size"),
          ("frizz-free mornings", "sensitive skin", "a gift for a night owl"),
          adjs=("Pure", "Classic", "Luxe"), mat_in_name=True),
        T("Mattress Topper", "mattress topper", (9900, 34900), (3000, 9000), ("wool", "down", "polyester"),
          ("an extra 5 cm of cushioning", "elastic corner straps", "a quilted cover"),
          ("softening a firm mattress", "guest beds", "dorm rooms"),
          adjs=("Plush", "Cooling", "Quilted"), colors=("White",), sizes="bed"),
    ),
))

CATEGORIES.append(C(
    "bath", "Bath", "BTH",
    "Towels, bath mats, robes and bathroom storage with a spa feel.",
    brands=("Tidewater", "Hammam House", "Steam & Stone", "Kiri", "Bathhaus"),
    colors=("White", "Eucalyptus", "Sand", "Slate", "Terracotta", "Pale Blue", "Charcoal"),
    styles=("spa", "minimal", "coastal", "classic"),
    audiences=("anyone who loves a long bath", "busy families", "hosts getting a guest bathroom ready", "people who deserve a treat"),
    notes=(
        "It turns an ordinary bathroom into something closer to a hotel spa.",
        "Wash it before first use to bring out its full softness.",
        "A small upgrade you will notice every single morning.",
    ),
    types=(
        T("Bath Towel", "bath towel", (2400, 5900), (550, 900), ("terry", "waffle", "organic-cotton", "linen"),
          ("a dense 700 gsm weight", "a dobby border", "a hanging loop", "double-stitched hems"),
          ("after-shower wrap-ups", "beach days", "guest bathrooms"),
          adjs=("Plush", "Quick-Dry", "Ribbed", "Hotel", "Classic"),
          variants=(("Bath Sheet", {"size": "100 x 180 cm"}, 1.4, 1.5), ("", {"size": "70 x 140 cm"}, 1.0, 1.0)), variant_in_name=0.0),
        T("Towel Set", "towel set", (4900, 12900), (1600, 2800), ("terry", "organic-cotton", "waffle"),
          ("two bath towels, two hand towels and two washcloths", "a ring-spun loop", "a tonal border"),
          ("refreshing a bathroom", "wedding registries", "guest bathrooms"),
          adjs=("Six-Piece", "Essential", "Hotel", "Spa")),
        T("Bathrobe", "bathrobe", (5900, 15900), (900, 1700), ("waffle", "terry", "linen", "cotton"),
          ("a shawl collar", "two deep patch pockets", "a tie belt with belt loops", "a hanging loop"),
          ("slow Sunday mornings", "post-swim warmth", "spa days at home"),
          adjs=("Shawl-Collar", "Kimono", "Hooded", "Lightweight"), sizes="apparel"),
        T("Bath Mat", "bath mat", (1900, 5400), (500, 1400), ("terry", "cotton", "bamboo", "cork"),
          ("a non-slip backing", "quick-drying loops", "a reversible design"),
          ("wet floors after a shower", "small bathrooms"),
          adjs=("Tufted", "Reversible", "Slatted", "Plush"), dims=(50, 80, 2)),
        T("Shower Caddy", "shower caddy", (2400, 6900), (600, 1800), ("stainless", "bamboo", "aluminium"),
          ("rust-proof construction", "adjustable shelves", "hooks for razors and loofahs", "drainage slots"),
          ("tidy showers", "shared bathrooms", "rental flats"),
          adjs=("Hanging", "Corner", "Over-Door", "Tension"), colors=(), care="Rinse it now and then and let it drip dry."),
        T("Soap Dispenser", "soap dispenser", (1500, 3900), (250, 600), ("ceramic", "glass", "stoneware", "marble"),
          ("a rust-proof stainless pump", "a weighted base", "a wide neck for easy refilling"),
          ("hand soap", "lotion", "dish soap by the sink"),
          adjs=("Refillable", "Matte", "Ribbed"), cap=(250, 350, 400)),
    ),
))

CATEGORIES.append(C(
    "furniture", "Furniture", "FUR",
    "Sofas, chairs, tables, beds and storage built to last.",
    brands=("Oakhurst", "Lindqvist", "Fernhill", "Arbor & Co.", "Moderna", "Heywood"),
    colors=("Natural Oak", "Walnut", "Black", "Ivory", "Olive", "Rust", "Navy", "Grey"),
    styles=("mid-century modern", "Scandinavian", "industrial", "contemporary", "Japandi", "traditional"),
    audiences=("small-space dwellers", "growing families", "work-from-home professionals", "first apartment buyers"),
    notes=(
        "It arrives in a single box with every tool you need for assembly.",
        "Free white-glove delivery is available in most areas.",
        "Solid joinery means it will not wobble after a year of use.",
        "It comes with a ten-year warranty on the frame.",
    ),
    types=(
        T("Sofa", "sofa", (79900, 199900), (45000, 85000), ("performance-fabric", "boucle", "linen", "velvet", "leather"),
          ("deep seats with feather-wrapped cushions", "a kiln-dried hardwood frame", "removable, washable cushion covers", "tapered solid wood legs"),
          ("movie nights", "afternoon naps", "open-plan living rooms"),
          adjs=("Three-Seat", "Track-Arm", "Low-Profile", "Modular", "Deep-Seat"),
          dims=(220, 95, 82), extra={"seat_height_cm": (42, 46)},
          facts=("The seat sits {seat_height_cm} cm off the floor: low enough to sink into, high enough to get up from.",)),
        T("Armchair", "armchair", (34900, 99900), (14000, 28000), ("boucle", "linen", "velvet", "leather", "performance-fabric"),
          ("a high back that supports your head", "sinuous springs for even support", "solid oak legs"),
          ("reading corners", "bedrooms", "a conversation spot by the window"),
          adjs=("Reading", "Wingback", "Lounge", "Swivel", "Barrel"), dims=(80, 85, 90)),
        T("Dining Table", "dining table", (49900, 189900), (30000, 70000), ("oak", "walnut", "acacia", "teak"),
          ("a solid wood top with a hand-rubbed oil finish", "a trestle base that leaves room for knees", "seating for six"),
          ("family dinners", "weekend dinner parties", "homework and jigsaw puzzles"),
          adjs=("Trestle", "Round", "Extendable", "Pedestal", "Farmhouse"), colors=(), dims=(180, 90, 75)),
        T("Dining Chair", "dining chair", (9900, 34900), (4000, 8000), ("oak", "walnut", "beech", "rattan"),
          ("a contoured back", "a woven or upholstered seat", "glides that protect floors"),
          ("dining rooms", "kitchen islands", "home offices"),
          adjs=("Spindle", "Wishbone", "Cane", "Windsor", "Stacking"), colors=(), dims=(46, 52, 80)),
        T("Bookcase", "bookcase", (19900, 69900), (18000, 45000), ("oak", "walnut", "iron", "bamboo"),
          ("five adjustable shelves", "an anti-tip wall kit", "an open back that makes walls feel lighter"),
          ("home libraries", "display collections", "room dividers"),
          adjs=("Tall", "Ladder", "Open", "Cube", "Wide"), colors=(), dims=(90, 35, 180)),
        T("Coffee Table", "coffee table", (19900, 79900), (12000, 35000), ("oak", "walnut", "marble", "iron", "teak"),
          ("a lower shelf for books", "rounded corners", "hidden storage"),
          ("living rooms", "board-game nights", "styling with books and plants"),
          adjs=("Round", "Oval", "Lift-Top", "Nesting", "Low"), colors=(), dims=(110, 60, 40)),
        T("Bed Frame", "bed frame", (49900, 149900), (35000, 80000), ("oak", "walnut", "boucle", "linen"),
          ("a slatted base that needs no box spring", "an upholstered headboard", "under-bed clearance for storage"),
          ("master bedrooms", "guest rooms", "teen bedrooms"),
          adjs=("Platform", "Upholstered", "Canopy", "Low", "Storage"), sizes="bed", colors=()),
        T("Nightstand", "nightstand", (14900, 44900), (8000, 18000), ("oak", "walnut", "rattan", "acacia"),
          ("a soft-close drawer", "an open shelf", "a cable cut-out for chargers"),
          ("bedside storage", "small bedrooms", "hallways"),
          adjs=("Two-Drawer", "Floating", "Open-Shelf", "Round"), colors=(), dims=(50, 40, 55)),
    ),
))

CATEGORIES.append(C(
    "lighting", "Lighting", "LGT",
    "Floor, table, pendant and wall lights, plus bulbs and lanterns.",
    brands=("Lumen & Lane", "Glowworks", "Halden", "Aurora Studio", "Filament Co."),
    colors=("Brass", "Matte Black", "White", "Opal", "Smoke", "Sage", "Terracotta"),
    styles=("mid-century", "industrial", "Scandinavian", "modern", "Art Deco"),
    audiences=("renters", "home office workers", "readers", "anyone with a dark corner"),
    notes=(
        "Good lighting changes the mood of a room more than almost any other upgrade.",
        "It is compatible with standard dimmer switches.",
        "Each lamp ships with an energy-efficient LED bulb.",
        "The warm 2700 K light is easy on the eyes in the evening.",
    ),
    types=(
        T("Floor Lamp", "floor lamp", (8900, 39900), (3500, 9000), ("brass", "iron", "oak", "rattan"),
          ("an adjustable arm", "a linen drum shade", "a foot switch", "a weighted marble base"),
          ("reading chairs", "lighting a dark corner", "living rooms"),
          adjs=("Arc", "Tripod", "Reading", "Torchiere", "Globe"), colors=(), dims=(40, 40, 160)),
        T("Table Lamp", "table lamp", (4900, 19900), (1200, 4000), ("ceramic", "brass", "recycled-glass", "oak"),
          ("a three-way touch dimmer", "a fabric-covered cord", "a pleated shade"),
          ("bedside tables", "desks", "console tables"),
          adjs=("Mushroom", "Gourd", "Bedside", "Column", "Dome"), dims=(30, 30, 50)),
        T("Pendant Light", "pendant light", (6900, 29900), (900, 4500), ("rattan", "brass", "recycled-glass", "aluminium"),
          ("an adjustable drop length", "a canopy that fits standard junction boxes", "a diffused opal glass globe"),
          ("kitchen islands", "dining tables", "stairwells"),
          adjs=("Dome", "Globe", "Bell", "Woven", "Cluster"), colors=()),
        T("Wall Sconce", "wall sconce", (5900, 21900), (600, 2000), ("brass", "iron", "ceramic", "recycled-glass"),
          ("a plug-in cord with a cover for renters", "a swing arm", "a hardwire option"),
          ("bedside reading", "hallways", "bathroom mirrors"),
          adjs=("Swing-Arm", "Plug-In", "Globe", "Picture-Light"), colors=()),
        T("Lantern", "lantern", (2900, 8900), (400, 1600), ("iron", "aluminium", "rattan"),
          ("a rechargeable LED with 20 hours of light", "a flicker mode that mimics a flame", "a carry handle", "weather resistance"),
          ("patio evenings", "camping trips", "power cuts"),
          adjs=("Rechargeable", "Hanging", "Tabletop", "Solar"), colors=("Black", "Sage", "Sand", "White"),
          extra={"battery_hours": (12, 40)}, facts=("A full charge gives about {battery_hours} hours of light.",)),
        T("Desk Lamp", "desk lamp", (3900, 15900), (800, 2400), ("aluminium", "iron", "brass"),
          ("a flicker-free LED head", "adjustable colour temperature", "a USB-C charging port in the base"),
          ("home offices", "drawing and crafts", "late-night studying"),
          adjs=("Task", "Architect", "Clamp", "Slim"), colors=("Black", "White", "Sage", "Brass")),
    ),
))

CATEGORIES.append(C(
    "garden", "Garden", "GDN",
    "Planters, hand tools, watering cans, seeds and outdoor furniture for gardens of every size.",
    brands=("Greenthumb", "Rootstock", "Fernleaf", "Allotment Co.", "Sunbeam Gardens"),
    colors=("Forest Green", "Terracotta", "Sand", "Charcoal", "Sage", "Natural"),
    styles=("cottage", "modern", "traditional", "rustic"),
    audiences=("balcony gardeners", "keen allotment growers", "beginners with a first patio", "anyone with green fingers"),
    notes=(
        "It is as useful on a city balcony as in a big back garden.",
        "A lovely gift for gardeners who think they already have everything.",
        "Built to stay outdoors season after season.",
    ),
    types=(
        T("Planter", "planter", (1900, 12900), (800, 15000), ("terracotta", "ceramic", "resin", "teak"),
          ("a drainage hole with a plug", "a saucer", "frost resistance", "a self-watering reservoir"),
          ("herbs on a windowsill", "patio trees", "indoor houseplants"),
          adjs=("Round", "Tall", "Window-Box", "Self-Watering", "Rolled-Rim"), dims=(40, 40, 40), season="spring-summer"),
        T("Trowel", "trowel", (1200, 3900), (150, 350), ("stainless",),
          ("depth markings on the blade", "an ash wood handle", "a hanging hole"),
          ("planting bulbs", "potting up seedlings", "weeding borders"),
          adjs=("Transplanting", "Hand", "Heritage", "Narrow"), colors=(), care="Wipe the blade clean and dry it before putting it away."),
        T("Pruning Shears", "pruning shears", (1900, 5900), (200, 300), ("knife-steel", "stainless"),
          ("a bypass blade that makes clean cuts", "a sap groove", "a safety lock", "replaceable blades"),
          ("roses", "fruit trees", "deadheading"),
          adjs=("Bypass", "Anvil", "Professional", "Compact"), colors=(), plural=True,
          care="Wipe the blades after use and oil the pivot once a month.",
          facts=("They cut cleanly through stems up to 2 cm thick.",)),
        T("Watering Can", "watering can", (1900, 5900), (500, 1400), ("iron", "brass", "resin"),
          ("a long spout for reaching the back of borders", "a removable brass rose", "a balanced handle"),
          ("houseplants", "seedlings", "patio pots"),
          adjs=("Long-Spout", "Indoor", "Classic", "Haws-Style"), cap=(1000, 4500, 7500, 9000), mat_in_name=False),
        T("Gardening Gloves", "gardening gloves", (1200, 3500), (80, 180), ("leather", "cotton", "nylon"),
          ("reinforced fingertips", "a long cuff that protects against thorns", "touchscreen-friendly tips"),
          ("rose pruning", "weeding", "planting"),
          adjs=("Thorn-Proof", "Breathable", "Gauntlet", "Everyday"), sizes="glove", plural=True, mat_in_name=False),
        T("Raised Garden Bed", "raised garden bed", (7900, 29900), (8000, 40000), ("teak", "iron", "oak"),
          ("a rot-resistant frame", "no-tool assembly", "corner posts for netting"),
          ("vegetable patches", "herb gardens", "accessible gardening"),
          adjs=("Corner", "Elevated", "Modular", "Tall"), colors=(), dims=(120, 60, 40), season="spring-summer"),
        T("Seed Collection", "seed collection", (1200, 3900), (60, 200), ("seed",),
          ("eight heirloom varieties", "planting guides on every packet", "a wooden storage box"),
          ("kitchen gardens", "first-time growers", "a gift for gardeners"),
          adjs=("Heirloom Tomato", "Salad Greens", "Herb Garden", "Wildflower", "Pollinator"), colors=(), mat_in_name=False,
          care="Keep the packets cool and dry until planting.", season="spring-summer"),
    ),
))

CATEGORIES.append(C(
    "outdoor-gear", "Outdoor Gear", "OTD",
    "Jackets, packs and accessories for hiking, trail running and mountain days.",
    brands=("Summit Ridge", "Northwind", "Cairn", "Alpenglow", "Timberline"),
    colors=("Forest Green", "Glacier Blue", "Black", "Ember Orange", "Slate", "Ochre", "Plum"),
    styles=("technical", "alpine", "lightweight", "rugged"),
    audiences=("day hikers", "thru-hikers", "trail runners", "anyone who loves the mountains"),
    notes=(
        "It packs small, so it can ride in your pack until the weather turns.",
        "Field-tested on long days in the mountains before it went on sale.",
        "A smart gift for the hiker in your life.",
    ),
    worn=True, portable=True,
    types=(
        T("Rain Jacket", "rain jacket", (9900, 34900), (280, 520), ("gore", "nylon"),
          ("fully taped seams", "pit zips for venting", "a helmet-compatible hood", "a stow pocket it packs into"),
          ("wet hikes", "rainy commutes", "shoulder-season trips"),
          adjs=("Packable", "Storm", "Alpine", "Lightweight", "Hooded"), sizes="apparel", season="rain",
          extra={"waterproof_mm": [10000, 20000, 28000]}, facts=("It is rated to {waterproof_mm} mm of waterproofing.",)),
        T("Down Jacket", "down jacket", (14900, 39900), (300, 700), ("down", "polyester"),
          ("a baffled shell that keeps the fill in place", "an insulated hood", "zippered hand pockets", "a water-repellent face fabric"),
          ("winter hikes", "cold belays", "frosty campsites", "winter city walks"),
          adjs=("Puffer", "Hooded", "Ultralight", "Expedition"), sizes="apparel", season="winter", mat_in_name=False),
        T("Fleece Jacket", "fleece jacket", (5900, 14900), (300, 500), ("fleece", "merino"),
          ("a full-length zip", "a chin guard", "zippered chest and hand pockets"),
          ("layering under a shell", "cool camp evenings", "autumn walks"),
          adjs=("Grid", "High-Pile", "Quarter-Zip", "Midweight"), sizes="apparel", season="fall-winter"),
        T("Hiking Backpack", "hiking backpack", (7900, 27900), (900, 1800), ("nylon", "polyester", "canvas"),
          ("an adjustable, ventilated back panel", "a hip belt with pockets", "a hydration sleeve", "a built-in rain cover"),
          ("day hikes", "hut-to-hut treks", "overnight trips"),
          adjs=("Trail", "Alpine", "Trekking", "Ultralight"), mat_in_name=False,
          variants=(("28 L", {"capacity_l": 28}, 0.85, 0.8), ("40 L", {"capacity_l": 40}, 1.0, 1.0), ("55 L", {"capacity_l": 55}, 1.3, 1.35)), variant_in_name=0.8),
        T("Trekking Poles", "trekking poles", (5900, 17900), (380, 560), ("aluminium", "carbon"),
          ("flick-lock length adjustment", "cork grips that wick sweat", "interchangeable tips and baskets"),
          ("steep descents", "river crossings", "snowshoeing"),
          adjs=("Folding", "Telescoping", "Ultralight"), colors=("Black", "Slate", "Ember Orange"), plural=True),
        T("Beanie", "beanie", (1900, 4500), (60, 120), ("merino", "wool", "cashmere", "fleece"),
          ("a double-layer brim", "a fleece lining over the ears", "a fold-up cuff"),
          ("winter hikes", "ski days", "cold morning dog walks"),
          adjs=("Ribbed", "Cuffed", "Pom", "Watch-Cap"), sizes="one-size", season="winter"),
        T("Hiking Socks", "hiking socks", (1400, 2800), (60, 110), ("merino", "wool", "polyester"),
          ("cushioned heels and toes", "a seamless toe", "arch support"),
          ("long days on the trail", "winter walks", "everyday wear in boots"),
          adjs=("Crew", "Cushioned", "Lightweight", "Midweight"), sizes="apparel", plural=True, season="all"),
        T("Insulated Gloves", "insulated gloves", (2900, 8900), (90, 220), ("softshell", "leather", "fleece"),
          ("touchscreen fingertips", "a waterproof insert", "a leash that clips to your wrist"),
          ("cold summits", "ski touring", "winter commutes"),
          adjs=("Alpine", "Touchscreen", "Waterproof", "Liner"), sizes="glove", plural=True, season="winter"),
    ),
))

CATEGORIES.append(C(
    "camping", "Camping", "CMP",
    "Tents, sleeping bags, stoves and camp kitchen gear for nights under the stars.",
    brands=("Basecamp", "Firefly Outdoors", "Pinecone", "Wildrest", "Nightsky"),
    colors=("Olive", "Sand", "Orange", "Forest Green", "Grey", "Sky Blue"),
    styles=("ultralight", "family", "expedition", "car-camping"),
    audiences=("family campers", "backpackers", "festival-goers", "first-time campers"),
    notes=(
        "It sets up quickly even after dark with a headtorch.",
        "A great way to make the first camping trip of the year more comfortable.",
        "Everything packs into a labelled stuff sack.",
    ),
    portable=True,
    types=(
        T("Tent", "tent", (14900, 59900), (1200, 6500), ("nylon", "polyester"),
          ("colour-coded poles for fast pitching", "two doors and two vestibules", "a full-coverage rainfly", "a bathtub floor"),
          ("backpacking trips", "festival weekends", "family campsites"),
          adjs=("Backpacking", "Dome", "Freestanding", "Tunnel"), mat_in_name=False,
          variants=(("2-Person", {"capacity_people": 2}, 0.8, 0.6), ("3-Person", {"capacity_people": 3}, 1.0, 1.0), ("4-Person", {"capacity_people": 4}, 1.3, 1.6)), variant_in_name=0.9, season="spring-summer"),
        T("Sleeping Bag", "sleeping bag", (8900, 39900), (800, 2200), ("down", "polyester"),
          ("a draft collar", "an anti-snag zip", "a compression sack", "a contoured mummy hood"),
          ("cold nights in the mountains", "shoulder-season camping", "sleepovers"),
          adjs=("Mummy", "Rectangular", "Three-Season", "Winter"), mat_in_name=False,
          extra={"comfort_rating_c": [-10, -5, -2, 2, 5]}, facts=("It is comfort-rated to {comfort_rating_c} °C.",)),
        T("Sleeping Pad", "sleeping pad", (4900, 19900), (400, 1100), ("nylon", "polyester"),
          ("baffles that stop you rolling off", "a one-way inflation valve", "a reflective layer for warmth"),
          ("side sleepers", "cold ground", "car camping"),
          adjs=("Insulated", "Self-Inflating", "Ultralight", "Wide"), mat_in_name=False,
          extra={"r_value": ["2.5", "3.8", "4.5", "6.0"]}, facts=("With an R-value of {r_value}, it keeps the cold ground at bay.",)),
        T("Camp Stove", "camp stove", (3900, 14900), (80, 4200), ("stainless", "aluminium", "titanium"),
          ("a piezo igniter", "a simmer control that actually simmers", "a built-in windscreen"),
          ("camp breakfasts", "boiling water for dehydrated meals", "brewing coffee at dawn"),
          adjs=("Compact", "Two-Burner", "Canister", "Backpacking"), colors=(), care="Let it cool, wipe it down and store it with the fuel detached."),
        T("Cook Set", "cook set", (2900, 8900), (300, 1200), ("titanium", "aluminium", "stainless"),
          ("a pot, pan and two mugs that nest together", "folding handles", "a mesh storage bag"),
          ("backpacking meals", "two-person trips", "car-camping kitchens"),
          adjs=("Nesting", "Ultralight", "Two-Person", "Family"), colors=()),
        T("Headlamp", "headlamp", (1900, 6900), (50, 120), ("abs", "aluminium"),
          ("a red night-vision mode", "USB-C charging", "a lock-out mode for your pack"),
          ("night hikes", "camp chores", "early starts"),
          adjs=("Rechargeable", "Trail", "Compact"), mat_in_name=False, colors=("Black", "Orange", "Forest Green"),
          extra={"lumens": [300, 400, 500, 750]}, facts=("It throws {lumens} lumens on its brightest setting.",)),
        T("Camp Chair", "camp chair", (3900, 14900), (900, 3200), ("aluminium", "polyester"),
          ("a cup holder", "a high back", "a carry bag"),
          ("campfires", "festival fields", "beach days"),
          adjs=("Folding", "Low", "Rocking", "Ultralight"), mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "footwear", "Footwear", "FTW",
    "Trail shoes, boots, sneakers and sandals for walking, running and everyday.",
    brands=("Stride & Co.", "Trailhead", "Mosswalk", "Cobblestone", "Pace"),
    colors=("Black", "Tan", "Olive", "Navy", "White", "Brown", "Slate Grey", "Rust"),
    styles=("trail", "casual", "classic", "urban"),
    audiences=("everyday walkers", "trail runners", "commuters", "people on their feet all day"),
    notes=(
        "They run true to size; go half a size up if you are between sizes.",
        "A removable insole makes room for custom orthotics.",
        "Break them in around the house for a few days before a long outing.",
    ),
    worn=True,
    types=(
        T("Trail Running Shoes", "trail running shoes", (9900, 17900), (500, 680), ("mesh", "nylon"),
          ("aggressive 5 mm lugs", "a rock plate under the forefoot", "a gusseted tongue that keeps out grit", "a cushioned midsole"),
          ("muddy trail runs", "mountain races", "fast hikes"),
          adjs=("Waterproof", "Lightweight", "Cushioned", "Technical"), sizes="mens-shoes", plural=True, mat_in_name=False,
          extra={"drop_mm": [4, 6, 8]}, facts=("The heel-to-toe drop is {drop_mm} mm.",)),
        T("Hiking Boots", "hiking boots", (12900, 26900), (900, 1400), ("leather", "suede", "nylon"),
          ("a waterproof membrane", "a Vibram outsole", "ankle support for uneven ground", "a padded collar"),
          ("winter hikes", "rocky trails", "multi-day treks"),
          adjs=("Waterproof", "Mid", "Insulated", "Backpacking"), sizes="mens-shoes", plural=True, season="fall-winter"),
        T("Sneakers", "sneakers", (6900, 14900), (600, 900), ("leather", "canvas", "suede", "vegan-leather"),
          ("a cupsole that can be resoled", "a cushioned footbed", "waxed cotton laces"),
          ("city walks", "weekend errands", "casual office days"),
          adjs=("Low-Top", "Court", "Retro", "Minimal", "High-Top"), sizes="womens-shoes", plural=True),
        T("Chelsea Boots", "Chelsea boots", (14900, 29900), (900, 1300), ("leather", "suede"),
          ("elastic side panels", "a pull tab", "a stacked heel", "a Goodyear-welted sole"),
          ("smart-casual outfits", "autumn days", "city commutes"),
          adjs=("Classic", "Lug-Sole", "Heeled"), sizes="womens-shoes", plural=True, season="fall-winter"),
        T("Sandals", "sandals", (3900, 11900), (300, 600), ("leather", "rubber", "cork"),
          ("adjustable straps", "a contoured footbed", "a grippy rubber sole"),
          ("beach holidays", "summer city days", "river crossings"),
          adjs=("Sport", "Slide", "Strappy", "Two-Strap"), sizes="womens-shoes", plural=True, season="summer"),
        T("Slippers", "slippers", (3900, 8900), (300, 500), ("wool", "suede", "felt"),
          ("a shearling-style lining", "a rubber sole you can wear outside", "a moccasin toe"),
          ("cold floors", "lazy weekends", "a winter gift"),
          adjs=("Moccasin", "Clog", "Scuff", "Bootie"), sizes="mens-shoes", plural=True, season="winter"),
        T("Wool Socks", "wool socks", (1200, 2500), (50, 100), ("merino", "wool", "cashmere"),
          ("a reinforced heel", "a non-binding cuff", "a three-pack"),
          ("wearing with boots", "cosy nights in", "winter walks"),
          adjs=("Crew", "Ribbed", "Cabin", "Everyday"), sizes="apparel", plural=True, season="winter", mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "mens-clothing", "Men's Clothing", "MEN",
    "Shirts, knitwear, trousers and outerwear for men, made to be worn hard.",
    brands=("Harbour & Hale", "Fieldcraft", "Ashby", "Grey Heron", "Dunmore"),
    colors=("Navy", "Olive", "Charcoal", "Ecru", "Rust", "Indigo", "Heather Grey", "Black"),
    styles=("classic", "workwear", "smart-casual", "relaxed"),
    audiences=("men who like simple, well-made clothes", "dads who are hard to shop for", "office workers", "weekend adventurers"),
    notes=(
        "It fits true to size with a little room through the chest.",
        "Made in a family-run factory in Portugal.",
        "It gets better with every wash and wear.",
        "A wardrobe basic that pairs with almost everything.",
    ),
    worn=True,
    types=(
        T("Oxford Shirt", "Oxford shirt", (4900, 10900), (250, 350), ("cotton", "organic-cotton", "linen"),
          ("a button-down collar", "a locker loop", "mother-of-pearl buttons"),
          ("the office", "weddings", "weekend brunch"),
          adjs=("Classic", "Slim-Fit", "Washed", "Relaxed"), sizes="apparel"),
        T("Crewneck Sweater", "crewneck sweater", (6900, 21900), (300, 550), ("merino", "cashmere", "wool", "cotton"),
          ("ribbed cuffs and hem", "a fully fashioned fit", "saddle shoulders"),
          ("layering over shirts", "chilly evenings", "winter travel"),
          adjs=("Fine-Knit", "Chunky", "Fisherman", "Shetland"), sizes="apparel", season="fall-winter"),
        T("Chinos", "chinos", (5900, 12900), (450, 650), ("cotton", "organic-cotton", "spandex"),
          ("a tapered leg", "a hidden stretch waistband", "a coin pocket"),
          ("smart-casual offices", "weekend wear", "travel days"),
          adjs=("Slim", "Straight", "Tapered", "Pleated"), sizes="apparel", plural=True, mat_in_name=False),
        T("Jeans", "jeans", (7900, 18900), (600, 900), ("denim",),
          ("a chain-stitched hem", "copper rivets", "a button fly"),
          ("everyday wear", "weekend trips", "casual Fridays"),
          adjs=("Slim", "Straight-Leg", "Raw", "Relaxed"), sizes="apparel", plural=True, colors=("Indigo", "Black", "Washed Blue", "Stone")),
        T("T-Shirt", "T-shirt", (2400, 4900), (150, 220), ("organic-cotton", "jersey", "merino", "linen"),
          ("a reinforced collar that does not stretch out", "side-seamed construction", "a longer back hem"),
          ("hot days", "layering", "the gym"),
          adjs=("Pocket", "Heavyweight", "Crew", "V-Neck"), sizes="apparel", season="all"),
        T("Overshirt", "overshirt", (7900, 16900), (500, 800), ("canvas", "wool", "denim", "cotton"),
          ("chest flap pockets", "corozo buttons", "a boxy, layerable cut"),
          ("autumn layering", "workshop days", "cool evenings"),
          adjs=("Chore", "Flannel", "Field", "Quilted"), sizes="apparel", season="fall-winter"),
        T("Wool Coat", "wool coat", (19900, 49900), (1300, 2100), ("wool", "cashmere"),
          ("a quilted lining", "a notch lapel", "an inside phone pocket"),
          ("winter commutes", "formal occasions", "cold city weekends"),
          adjs=("Double-Breasted", "Single-Breasted", "Car-Length", "Longline"), sizes="apparel", season="winter", mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "womens-clothing", "Women's Clothing", "WMN",
    "Dresses, knitwear, trousers and layers for women, from weekend to workday.",
    brands=("Rowan & Rye", "Elsie May", "Fable", "Saltmarsh", "Maren"),
    colors=("Ivory", "Camel", "Black", "Sage", "Terracotta", "Navy", "Dusty Rose", "Forest"),
    styles=("relaxed", "tailored", "feminine", "minimal", "bohemian"),
    audiences=("women who like clothes that last", "busy professionals", "travellers packing light", "anyone building a capsule wardrobe"),
    notes=(
        "The fit is relaxed; size down for a closer silhouette.",
        "Made in small batches to cut down on waste.",
        "It dresses up with heels or down with sneakers.",
        "A capsule-wardrobe piece you will wear for years.",
    ),
    worn=True,
    types=(
        T("Wrap Dress", "wrap dress", (6900, 18900), (250, 450), ("silk", "linen", "jersey", "bamboo-fabric"),
          ("an adjustable tie waist", "flutter sleeves", "a midi length", "hidden side pockets"),
          ("weddings", "summer evenings", "the office"),
          adjs=("Midi", "Floral", "Maxi", "Tiered"), sizes="apparel", season="spring-summer"),
        T("Cardigan", "cardigan", (6900, 22900), (300, 550), ("merino", "cashmere", "wool", "cotton"),
          ("horn buttons", "patch pockets", "a relaxed dropped shoulder"),
          ("cool offices", "travel", "layering over dresses"),
          adjs=("Cropped", "Longline", "Cable-Knit", "V-Neck"), sizes="apparel", season="fall-winter"),
        T("Wide-Leg Trousers", "wide-leg trousers", (6900, 15900), (300, 500), ("linen", "wool", "cotton", "silk"),
          ("a high, flat-front waist", "pressed front creases", "an elasticated back"),
          ("the office", "city weekends", "warm-weather travel"),
          adjs=("Pleated", "Tailored", "Drawstring", "Cropped"), sizes="apparel", plural=True),
        T("Blouse", "blouse", (4900, 13900), (150, 250), ("silk", "linen", "cotton"),
          ("a relaxed collar", "covered buttons", "a curved hem that tucks neatly"),
          ("work meetings", "dinner dates", "summer weekends"),
          adjs=("Button-Front", "Puff-Sleeve", "Pintuck", "Oversized"), sizes="apparel"),
        T("Knit Sweater", "knit sweater", (7900, 24900), (350, 600), ("merino", "cashmere", "wool"),
          ("a funnel neck", "balloon sleeves", "a ribbed hem"),
          ("cold commutes", "weekend walks", "après-ski"),
          adjs=("Turtleneck", "Mock-Neck", "Cable", "Mohair-Blend"), sizes="apparel", season="winter", mat_in_name=True),
        T("Trench Coat", "trench coat", (14900, 34900), (900, 1400), ("cotton", "gore", "wool"),
          ("storm flaps", "a removable belt", "a water-repellent finish"),
          ("spring showers", "office commutes", "travel"),
          adjs=("Classic", "Cropped", "Oversized", "Belted"), sizes="apparel", season="rain", mat_in_name=False),
        T("Leggings", "leggings", (3900, 9900), (180, 280), ("spandex", "merino", "organic-cotton"),
          ("a high waistband with a key pocket", "squat-proof fabric", "flatlock seams"),
          ("yoga", "running errands", "travel days"),
          adjs=("High-Rise", "Seamless", "Thermal", "Cropped"), sizes="apparel", plural=True, mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "kids", "Kids", "KID",
    "Clothing, bedding and everyday essentials for babies and children.",
    brands=("Little Fern", "Pipsqueak", "Acorn & Co.", "Tiny Tribe", "Bramble Kids"),
    colors=("Mustard", "Sky Blue", "Mint", "Rust", "Lilac", "Navy", "Cream", "Coral"),
    styles=("playful", "classic", "Scandi"),
    audiences=("new parents", "grandparents looking for a gift", "busy families", "toddlers who refuse to sit still"),
    notes=(
        "Every fabric is tested for harmful substances, because little skin is sensitive.",
        "It is made to survive playgrounds, puddles and hand-me-downs.",
        "A lovely baby-shower gift.",
    ),
    worn=True,
    types=(
        T("Romper", "romper", (2400, 4900), (100, 180), ("organic-cotton", "jersey", "bamboo-fabric"),
          ("snap closures for easy nappy changes", "fold-over mitten cuffs", "a roomy fit for cloth nappies"),
          ("everyday wear", "sleep", "baby showers"),
          adjs=("Striped", "Ribbed", "Zip-Up", "Footed"), sizes="kids"),
        T("Kids' Rain Jacket", "kids' rain jacket", (3900, 7900), (250, 400), ("nylon", "gore", "polyester"),
          ("a fleece lining", "reflective trims", "a name label inside"),
          ("puddle jumping", "school runs", "forest school"),
          adjs=("Puddle", "Lined", "Packable"), sizes="kids", season="rain", mat_in_name=False),
        T("Snowsuit", "snowsuit", (6900, 14900), (600, 1000), ("down", "polyester"),
          ("elasticated boot gaiters", "a two-way zip", "a detachable hood"),
          ("sledging", "ski holidays", "winter walks in the buggy"),
          adjs=("Insulated", "All-in-One", "Puffer"), sizes="kids", season="winter", mat_in_name=False),
        T("Pyjama Set", "pyjama set", (2400, 4900), (180, 300), ("organic-cotton", "jersey", "bamboo-fabric"),
          ("a snug fit for safety", "a soft, tag-free neckline", "cuffed ankles"),
          ("bedtime", "sleepovers", "lazy mornings"),
          adjs=("Dinosaur", "Star-Print", "Striped", "Rainbow"), sizes="kids"),
        T("Kids' Sneakers", "kids' sneakers", (3400, 6900), (250, 450), ("canvas", "leather", "mesh"),
          ("hook-and-loop straps little hands can manage", "a toe bumper", "a flexible sole"),
          ("playgrounds", "first steps", "school days"),
          adjs=("Light-Up", "Velcro", "Slip-On"), sizes="kids-shoes", plural=True),
        T("Baby Blanket", "baby blanket", (2900, 7900), (200, 500), ("organic-cotton", "merino", "waffle", "fleece"),
          ("a breathable cellular weave", "a satin-bound edge", "a keepsake gift box"),
          ("pram walks", "nursery naps", "tummy time"),
          adjs=("Cellular", "Knitted", "Muslin", "Quilted"), mat_in_name=True),
        T("Kids' Backpack", "kids' backpack", (2900, 5900), (300, 500), ("canvas", "polyester", "nylon"),
          ("a chest strap that stops it slipping", "a name tag", "a padded laptop-free back"),
          ("nursery", "primary school", "day trips"),
          adjs=("Mini", "Animal", "School", "Rainbow")),
    ),
))

CATEGORIES.append(C(
    "bags", "Bags", "BAG",
    "Backpacks, totes, crossbody bags and weekenders for work, travel and every day.",
    brands=("Carryall & Co.", "Vagabond", "Lund", "Satchel & Sons", "Meridian"),
    colors=("Black", "Cognac", "Olive", "Navy", "Tan", "Stone", "Burgundy", "Grey"),
    styles=("minimal", "heritage", "urban", "utilitarian"),
    audiences=("daily commuters", "frequent flyers", "students", "anyone who carries a laptop"),
    notes=(
        "It carries more than it looks like it should.",
        "Every seam is bar-tacked at the stress points.",
        "A lifetime repair promise comes with it.",
    ),
    portable=True,
    types=(
        T("Laptop Backpack", "laptop backpack", (7900, 24900), (800, 1400), ("nylon", "canvas", "leather", "polyester"),
          ("a padded sleeve for a 16-inch laptop", "a luggage pass-through", "a hidden back pocket for passports", "a clamshell opening"),
          ("daily commutes", "business trips", "university"),
          adjs=("Commuter", "Roll-Top", "Slim", "Everyday"), dims=(30, 15, 45),
          extra={"capacity_l": [18, 20, 22, 26]}, facts=("At {capacity_l} litres, it swallows a laptop, lunch and a jumper.",)),
        T("Tote Bag", "tote bag", (2900, 19900), (300, 900), ("canvas", "leather", "vegan-leather", "organic-cotton"),
          ("an internal zip pocket", "a magnetic snap closure", "reinforced shoulder straps"),
          ("farmers' market runs", "the office", "beach days"),
          adjs=("Market", "Structured", "Oversized", "Zip-Top"), dims=(40, 15, 35)),
        T("Crossbody Bag", "crossbody bag", (4900, 17900), (300, 600), ("leather", "vegan-leather", "nylon"),
          ("an adjustable strap", "RFID-blocking card slots", "a zip top"),
          ("travel days", "concerts", "city sightseeing"),
          adjs=("Mini", "Saddle", "Sling", "Camera"), dims=(22, 8, 16)),
        T("Weekender Bag", "weekender bag", (9900, 34900), (1000, 1900), ("canvas", "leather", "nylon"),
          ("a separate shoe compartment", "a trolley sleeve", "a detachable shoulder strap"),
          ("weekend getaways", "gym bags", "carry-on travel"),
          adjs=("Duffel", "Holdall", "Carry-On"), dims=(55, 28, 30)),
        T("Wallet", "wallet", (2900, 9900), (50, 120), ("leather", "vegan-leather", "canvas"),
          ("six card slots", "a coin pocket", "RFID protection"),
          ("everyday carry", "slim front pockets", "a gift for dad"),
          adjs=("Bifold", "Card", "Zip-Around", "Slim")),
        T("Belt Bag", "belt bag", (2900, 8900), (150, 300), ("nylon", "leather", "canvas"),
          ("an adjustable webbing strap", "a water-resistant zip", "a key clip inside"),
          ("festivals", "dog walks", "running errands hands-free"),
          adjs=("Hip", "Sling", "Festival")),
    ),
))

CATEGORIES.append(C(
    "jewelry", "Jewelry", "JWL",
    "Rings, necklaces, earrings and bracelets in recycled gold and sterling silver.",
    brands=("Aurelie", "Kindred", "Maison Oro", "Saltwater Studio", "Ember & Ivy"),
    colors=("Gold", "Silver", "Rose Gold"),
    styles=("minimal", "vintage-inspired", "statement", "dainty"),
    audiences=("someone special", "bridesmaids", "anyone who layers necklaces", "partners celebrating an anniversary"),
    notes=(
        "It arrives in a recycled gift box, ready to give.",
        "Nickel-free and safe for sensitive ears and skin.",
        "Every piece is cast and finished by hand in our studio.",
    ),
    attr_key="metal", worn=True,
    types=(
        T("Pendant Necklace", "pendant necklace", (3900, 39900), (3, 12), ("gold-vermeil", "sterling", "gold-14k"),
          ("an adjustable 40-45 cm chain", "a lobster clasp", "a hand-polished pendant"),
          ("everyday wear", "layering", "anniversaries"),
          adjs=("Moonstone", "Pearl", "Initial", "Sunburst", "Coin", "Birthstone"), colors=()),
        T("Stacking Ring", "stacking ring", (2900, 29900), (2, 6), ("gold-vermeil", "sterling", "gold-14k"),
          ("a comfort-fit band", "a hammered texture", "a tiny bezel-set stone"),
          ("stacking with other rings", "engagement-ring companions", "everyday wear"),
          adjs=("Twist", "Beaded", "Signet", "Hammered", "Diamond"), colors=(), sizes="ring"),
        T("Hoop Earrings", "hoop earrings", (2900, 24900), (3, 10), ("gold-vermeil", "sterling", "gold-14k"),
          ("hinged closures", "a chunky tube profile", "hypoallergenic posts"),
          ("daily wear", "nights out", "gifts"),
          adjs=("Huggie", "Chunky", "Small", "Textured"), colors=(), plural=True),
        T("Stud Earrings", "stud earrings", (2400, 19900), (1, 4), ("gold-vermeil", "sterling", "gold-14k"),
          ("secure butterfly backs", "tiny pavé stones", "a low-profile setting"),
          ("second piercings", "sensitive ears", "bridesmaid gifts"),
          adjs=("Pearl", "Star", "Opal", "Dot", "Flower"), colors=(), plural=True),
        T("Chain Bracelet", "chain bracelet", (3400, 29900), (3, 15), ("gold-vermeil", "sterling", "gold-14k"),
          ("an extender chain", "a spring-ring clasp", "a paperclip link"),
          ("stacking with a watch", "everyday wear", "graduation gifts"),
          adjs=("Paperclip", "Tennis", "Figaro", "Herringbone", "Charm"), colors=()),
    ),
))

CATEGORIES.append(C(
    "watches", "Watches", "WCH",
    "Automatic, quartz and field watches, plus straps and watch boxes.",
    brands=("Halvorsen", "Tidemark", "Breckland", "Orion Watch Co.", "Vantage"),
    colors=("Black Dial", "Blue Dial", "Green Dial", "Cream Dial", "Silver Dial", "Salmon Dial"),
    styles=("field", "dress", "dive", "pilot", "minimal"),
    audiences=("watch enthusiasts", "graduates", "dads and grandads", "anyone marking a milestone"),
    notes=(
        "It comes with a two-year warranty and a presentation box.",
        "Sapphire crystal means the face stays scratch-free for years.",
        "A milestone gift that will outlast trends.",
    ),
    attr_key="case_material", worn=True,
    types=(
        T("Automatic Watch", "automatic watch", (29900, 129900), (80, 170), ("stainless", "titanium", "steel-316"),
          ("a sapphire crystal with anti-reflective coating", "an exhibition caseback", "a screw-down crown", "luminous hands"),
          ("everyday wear", "formal occasions", "collectors"),
          adjs=("Field", "Dress", "GMT", "Explorer"), mat_in_name=False,
          extra={"movement": ["automatic, 38-hour reserve", "automatic, 42-hour reserve", "automatic, 80-hour reserve"], "case_mm": [36, 38, 39, 40, 41], "water_resistance_m": [50, 100, 200]},
          facts=("The {case_mm} mm case sits comfortably on most wrists.", "It is water resistant to {water_resistance_m} m.", "Inside is an {movement} movement you can watch through the back."), care="Wipe it with a soft cloth and have it serviced every five years or so."),
        T("Dive Watch", "dive watch", (19900, 89900), (120, 190), ("stainless", "titanium", "steel-316"),
          ("a unidirectional ceramic bezel", "a screw-down crown", "bright lume for dark water"),
          ("diving and swimming", "beach holidays", "everyday wear"),
          adjs=("Professional", "Vintage", "Skin-Diver"), mat_in_name=False,
          extra={"case_mm": [39, 40, 42], "water_resistance_m": [200, 300]},
          facts=("It is rated to {water_resistance_m} m, so it can go anywhere you can.",), care="Wipe it with a soft cloth and have it serviced every five years or so."),
        T("Quartz Watch", "quartz watch", (8900, 24900), (40, 110), ("stainless", "brass", "titanium"),
          ("a slim 7 mm case", "a domed mineral crystal", "a quick-release strap"),
          ("the office", "everyday wear", "a first good watch"),
          adjs=("Minimal", "Bauhaus", "Chronograph", "Slim"), mat_in_name=False,
          extra={"case_mm": [34, 36, 38, 40], "water_resistance_m": [30, 50, 100]},
          facts=("The battery lasts about three years and is easy to replace.",), care="Wipe it with a soft cloth; the battery swap takes a jeweller two minutes."),
        T("Watch Strap", "watch strap", (2900, 8900), (15, 40), ("leather", "nylon", "rubber", "suede"),
          ("quick-release spring bars", "a brushed steel buckle", "tapered ends"),
          ("changing the look of a watch", "summer swims", "dressing up a field watch"),
          adjs=("NATO", "Rally", "Tropic", "Two-Piece"),
          colors=("Black", "Tan", "Olive", "Navy", "Grey"),
          variants=(("18 mm", {"lug_width_mm": 18}, 1.0, 1.0), ("20 mm", {"lug_width_mm": 20}, 1.0, 1.05), ("22 mm", {"lug_width_mm": 22}, 1.0, 1.1)), variant_in_name=0.7),
        T("Watch Box", "watch box", (4900, 14900), (900, 2200), ("walnut", "leather", "oak"),
          ("six cushioned slots", "a glass window lid", "a lockable drawer"),
          ("collectors", "travel", "organised dressers"),
          adjs=("Six-Slot", "Travel", "Display"), colors=()),
    ),
))

CATEGORIES.append(C(
    "beauty", "Beauty", "BTY",
    "Skincare, haircare and body care with clean, effective ingredients.",
    brands=("Clarity Lab", "Rosewater & Co.", "Botanica", "Glow Theory", "Wildcrafted"),
    colors=(),
    styles=("clean", "clinical", "botanical"),
    audiences=("people with dry or sensitive skin", "anyone building a simple routine", "people who want fewer, better products", "friends who deserve a little self-care"),
    notes=(
        "Vegan, cruelty-free and free from synthetic fragrance.",
        "Dermatologist-tested on sensitive skin.",
        "The packaging is recyclable, and refills are available.",
        "Patch test first if your skin is very reactive.",
    ),
    attr_key="key_ingredient",
    types=(
        T("Face Serum", "face serum", (2400, 7900), (60, 120), ("vitamin-c", "hyaluronic", "niacinamide", "rosehip"),
          ("a glass dropper", "a lightweight, fast-absorbing texture", "an airless pump"),
          ("morning routines", "dull or tired skin", "layering under moisturiser"),
          adjs=("Brightening", "Hydrating", "Clarifying", "Overnight"), cap=(15, 30, 50)),
        T("Moisturiser", "moisturiser", (2200, 6900), (80, 200), ("ceramide", "shea", "hyaluronic", "aloe"),
          ("a rich but non-greasy cream", "SPF 30 in the day version", "fragrance-free"),
          ("dry winter skin", "sensitive complexions", "nightly routines"),
          adjs=("Daily", "Barrier", "Rich", "Gel"), cap=(30, 50, 75)),
        T("Cleanser", "cleanser", (1600, 3900), (150, 300), ("oat", "clay", "aloe", "niacinamide"),
          ("a gentle, low-foam formula", "a pH of 5.5", "a pump bottle"),
          ("removing makeup and sunscreen", "oily skin", "post-gym"),
          adjs=("Gentle", "Foaming", "Balm", "Gel"), cap=(150, 200, 250)),
        T("Hair Oil", "hair oil", (1900, 4900), (100, 200), ("argan", "rosehip"),
          ("a lightweight, silicone-free blend", "heat protection to 230 °C", "a pump dispenser"),
          ("frizz", "dry ends", "curly hair"),
          adjs=("Repairing", "Shine", "Overnight"), cap=(50, 100)),
        T("Body Lotion", "body lotion", (1400, 3900), (250, 500), ("shea", "oat", "aloe"),
          ("a fast-absorbing texture", "a subtle scent of neroli and vetiver", "a big pump bottle"),
          ("dry elbows and legs", "after-sun care", "the whole family"),
          adjs=("Daily", "Soothing", "Whipped", "Firming"), cap=(250, 300, 400)),
        T("Lip Balm Set", "set of lip balms", (1200, 2900), (30, 60), ("shea", "rosehip", "aloe"),
          ("three tinted shades", "SPF 15", "a recyclable paper tube"),
          ("chapped winter lips", "handbags and pockets", "stocking fillers"),
          adjs=("Tinted", "Overnight", "Classic"), cap=(15,)),
        T("Face Mask", "face mask", (1800, 4900), (100, 250), ("clay", "oat", "hyaluronic", "vitamin-c"),
          ("a ten-minute formula", "a tub that lasts about 20 uses", "a spatula applicator"),
          ("Sunday self-care", "congested skin", "pre-event prep"),
          adjs=("Purifying", "Hydrating", "Overnight", "Brightening"), cap=(50, 75, 100)),
    ),
))

CATEGORIES.append(C(
    "fitness", "Fitness", "FIT",
    "Weights, bands, mats and training gear for home and gym workouts.",
    brands=("Ironclad", "Flexfit", "Kinetic", "Rep Lab", "Stamina"),
    colors=("Black", "Graphite", "Teal", "Red", "Sand", "Navy"),
    styles=("home gym", "functional", "studio"),
    audiences=("home gym builders", "beginners starting a routine", "runners cross-training", "people short on space"),
    notes=(
        "It is compact enough to store under a bed.",
        "Tested for thousands of reps before it went on sale.",
        "Free guided workouts come with it through a QR code.",
    ),
    types=(
        T("Adjustable Dumbbell", "adjustable dumbbell", (14900, 39900), (11000, 24000), ("iron", "steel-316"),
          ("a dial that changes weight in seconds", "a knurled, non-slip handle", "a storage cradle"),
          ("strength training at home", "small apartments", "progressive overload"),
          adjs=("Quick-Change", "Compact", "Pro"), colors=(), mat_in_name=False,
          extra={"max_kg": [20, 24, 32, 40]}, facts=("It adjusts from 2 to {max_kg} kg, replacing a whole rack of weights.",)),
        T("Kettlebell", "kettlebell", (2900, 12900), (4000, 24000), ("iron",),
          ("a wide handle for two-handed swings", "a flat base", "a colour-coded weight"),
          ("swings and snatches", "Turkish get-ups", "HIIT circuits"),
          adjs=("Competition", "Classic", "Powder-Coated"), colors=(),
          variants=(("8 kg", {"weight_kg": 8}, 0.6, 0.34), ("12 kg", {"weight_kg": 12}, 0.8, 0.5), ("16 kg", {"weight_kg": 16}, 1.0, 0.67), ("24 kg", {"weight_kg": 24}, 1.3, 1.0)), variant_in_name=1.0),
        T("Resistance Band Set", "resistance band set", (1900, 4900), (300, 800), ("rubber",),
          ("five colour-coded resistance levels", "a door anchor", "padded handles and ankle straps"),
          ("travel workouts", "physiotherapy", "warm-ups"),
          adjs=("Loop", "Tube", "Fabric"), colors=()),
        T("Foam Roller", "foam roller", (1900, 4900), (300, 900), ("tpe", "cork"),
          ("a textured surface for deep tissue work", "a hollow core that will not flatten"),
          ("post-run recovery", "tight hips", "desk-job backs"),
          adjs=("Textured", "High-Density", "Vibrating"), dims=(33, 14, 14)),
        T("Jump Rope", "jump rope", (1400, 3900), (150, 300), ("aluminium", "nylon"),
          ("ball-bearing handles", "an adjustable steel cable", "a speed-rope weight"),
          ("double-unders", "boxing conditioning", "quick cardio"),
          adjs=("Speed", "Weighted", "Beaded"), mat_in_name=False),
        T("Workout Bench", "workout bench", (14900, 39900), (15000, 28000), ("iron", "steel-316"),
          ("seven back positions", "a leg hold-down", "transport wheels"),
          ("bench presses", "incline rows", "home gyms"),
          adjs=("Adjustable", "Flat", "Folding"), colors=(), mat_in_name=False, dims=(130, 60, 45)),
        T("Training Gloves", "training gloves", (1900, 4500), (80, 160), ("leather", "mesh", "neoprene"),
          ("wrist wraps", "padded palms", "pull-tabs for easy removal"),
          ("lifting", "pull-ups", "rowing"),
          adjs=("Lifting", "Half-Finger", "Grip"), sizes="glove", plural=True, mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "yoga", "Yoga", "YGA",
    "Mats, blocks, bolsters and clothing for yoga, Pilates and meditation.",
    brands=("Lotus & Lark", "Prana Field", "Stillpoint", "Asana Supply", "Breathe"),
    colors=("Sage", "Clay", "Lavender", "Charcoal", "Ocean", "Oat", "Plum"),
    styles=("studio", "travel", "restorative"),
    audiences=("yoga beginners", "hot-yoga regulars", "Pilates fans", "anyone with a meditation practice"),
    notes=(
        "It is free from PVC, latex and phthalates.",
        "Roll it out at home and your practice is only a minute away.",
        "A thoughtful gift for a friend who has just discovered yoga.",
    ),
    types=(
        T("Yoga Mat", "yoga mat", (3900, 12900), (900, 2600), ("cork", "rubber", "tpe"),
          ("a sweat-resistant grip", "alignment lines", "a carry strap"),
          ("hot yoga", "vinyasa flows", "home practice", "Pilates"),
          adjs=("Grip", "Travel", "Extra-Thick", "Alignment"),
          variants=(("4 mm", {"thickness_mm": 4}, 1.0, 1.0), ("6 mm", {"thickness_mm": 6}, 1.15, 1.3), ("1.5 mm Travel", {"thickness_mm": 1.5}, 0.8, 0.5)), variant_in_name=0.5, dims=(183, 61, 1)),
        T("Yoga Block", "yoga block", (1200, 2900), (200, 700), ("cork", "bamboo", "tpe"),
          ("bevelled edges", "a non-slip surface", "a set of two"),
          ("deepening stretches", "restorative poses", "beginners working on flexibility"),
          adjs=("Classic", "Firm", "Lightweight"), dims=(23, 15, 10)),
        T("Meditation Cushion", "meditation cushion", (3900, 8900), (1500, 3000), ("organic-cotton", "hemp", "velvet"),
          ("a buckwheat-hull fill you can adjust", "a washable cover", "a carry handle"),
          ("morning meditation", "breathwork", "sitting comfortably on the floor"),
          adjs=("Zafu", "Crescent", "Round")),
        T("Bolster", "bolster", (4900, 9900), (1800, 3200), ("organic-cotton", "hemp", "velvet"),
          ("a firm cotton-batting core", "a removable cover", "side handles"),
          ("restorative yoga", "yin classes", "prenatal practice"),
          adjs=("Rectangular", "Round", "Pranayama")),
        T("Yoga Strap", "yoga strap", (900, 2400), (80, 180), ("cotton", "hemp"),
          ("a metal D-ring buckle", "a 2.5 m length"),
          ("hamstring stretches", "shoulder openers", "physio exercises"),
          adjs=("Cinch", "Loop", "Classic")),
        T("Yoga Top", "yoga top", (2900, 6900), (100, 200), ("bamboo-fabric", "spandex", "organic-cotton"),
          ("a built-in shelf bra", "a racerback", "flatlock seams"),
          ("hot yoga", "studio classes", "barre"),
          adjs=("Cropped", "Twist-Back", "Relaxed"), sizes="apparel", season="all", mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "cycling", "Cycling", "CYC",
    "Helmets, lights, locks, clothing and accessories for commuters and road riders.",
    brands=("Cadence", "Velo Nord", "Spoke & Chain", "Freewheel", "Spokewise"),
    colors=("Black", "Hi-Vis Yellow", "Red", "Navy", "Olive", "White"),
    styles=("road", "commuter", "gravel", "urban"),
    audiences=("bike commuters", "weekend road riders", "gravel adventurers", "new cyclists"),
    notes=(
        "It fits standard road, gravel and city bikes.",
        "Reflective details help drivers see you after dark.",
        "The sort of upgrade cyclists notice on every single ride.",
    ),
    types=(
        T("Cycling Helmet", "cycling helmet", (4900, 24900), (250, 400), ("polycarbonate", "carbon"),
          ("MIPS rotational protection", "18 vents", "a dial-fit cradle", "an integrated rear light"),
          ("commuting", "road rides", "gravel adventures"),
          adjs=("Road", "Urban", "Aero", "Gravel"), sizes="glove", mat_in_name=False),
        T("Bike Light Set", "bike light set", (2400, 8900), (100, 250), ("aluminium", "abs"),
          ("USB-C charging", "a daylight flash mode", "tool-free mounts"),
          ("winter commutes", "dark country lanes", "night rides"),
          adjs=("Rechargeable", "Commuter", "High-Power"), colors=(), mat_in_name=False,
          extra={"lumens": [200, 400, 800, 1200]}, facts=("The front light puts out {lumens} lumens.",)),
        T("Bike Lock", "bike lock", (2900, 11900), (800, 2000), ("iron",),
          ("a hardened steel shackle", "a frame mount", "three keys"),
          ("locking up in the city", "securing e-bikes", "campus parking"),
          adjs=("Heavy-Duty", "Folding", "Compact", "Urban"), colors=(), mat_in_name=False,
          extra={"security_rating": ["silver", "gold", "diamond"]}, facts=("It carries a {security_rating} security rating.",)),
        T("Cycling Jersey", "cycling jersey", (5900, 14900), (120, 200), ("spandex", "merino", "polyester"),
          ("three rear pockets", "a full-length zip", "a silicone hem gripper"),
          ("summer road rides", "sportives", "gravel racing"),
          adjs=("Short-Sleeve", "Long-Sleeve", "Aero", "Thermal"), sizes="apparel", season="spring-summer", mat_in_name=False),
        T("Bib Shorts", "bib shorts", (7900, 19900), (150, 250), ("spandex",),
          ("a multi-density chamois", "mesh bib straps", "laser-cut leg grippers"),
          ("long rides", "indoor training", "century rides"),
          adjs=("Endurance", "Race", "Cargo"), sizes="apparel", plural=True, mat_in_name=False, season="spring-summer"),
        T("Pannier", "pannier", (4900, 14900), (700, 1300), ("nylon", "canvas", "polyester"),
          ("a roll-top waterproof closure", "quick-release rack hooks", "a shoulder strap"),
          ("commuting with a laptop", "grocery runs", "bike touring"),
          adjs=("Waterproof", "Commuter", "Touring"), extra={"capacity_l": [15, 20, 25]}),
        T("Cycling Gloves", "cycling gloves", (1900, 5900), (50, 140), ("leather", "softshell", "mesh"),
          ("gel palm padding", "a terry thumb wipe", "touchscreen fingertips"),
          ("long rides", "winter commutes", "mountain biking"),
          adjs=("Fingerless", "Winter", "Gel"), sizes="glove", plural=True, mat_in_name=False),
    ),
))

CATEGORIES.append(C(
    "toys", "Toys", "TOY",
    "Wooden toys, puzzles, plush friends and games for curious kids.",
    brands=("Treehouse", "Marbles & Moss", "Little Builders", "Wonderwood", "Puddle Duck"),
    colors=("Rainbow", "Natural", "Pastel", "Primary", "Sage", "Mustard"),
    styles=("Montessori", "classic", "imaginative"),
    audiences=("toddlers", "preschoolers", "curious six-year-olds", "grandparents looking for a birthday gift"),
    notes=(
        "Safety-tested to EN71 and ASTM standards.",
        "Non-toxic, water-based paints only.",
        "It encourages open-ended play rather than a single right answer.",
        "No batteries needed.",
    ),
    types=(
        T("Wooden Stacker", "wooden stacker", (1900, 4900), (300, 900), ("beech", "maple"),
          ("chunky pieces sized for small hands", "a sturdy base peg", "smooth, rounded edges"),
          ("toddlers learning colours", "fine motor skills", "first birthdays"),
          adjs=("Rainbow", "Ring", "Balancing", "Stacking Stones"), mat_in_name=False,
          extra={"age_range": ["12 months+", "18 months+"]}, facts=("Recommended for ages {age_range}.",)),
        T("Plush Toy", "plush toy", (1400, 4500), (150, 500), ("plush", "organic-cotton"),
          ("embroidered eyes that cannot come loose", "a weighted bottom", "a soft, huggable body"),
          ("bedtime", "newborn gifts", "long car journeys"),
          adjs=("Bear", "Bunny", "Fox", "Elephant", "Whale", "Sloth", "Dinosaur"), mat_in_name=False,
          extra={"age_range": ["birth", "3 years"]}, facts=("It is safe for little ones from {age_range}.",)),
        T("Jigsaw Puzzle", "jigsaw puzzle", (1400, 3900), (400, 1000), ("board",),
          ("thick pieces that lock firmly together", "a poster of the finished picture", "a sturdy storage box"),
          ("rainy afternoons", "family game nights", "quiet time"),
          adjs=("World Map", "Ocean Life", "Dinosaur", "Space", "Woodland", "City Skyline"), mat_in_name=False,
          extra={"pieces": [24, 48, 100, 500, 1000]}, facts=("It has {pieces} pieces.",)),
        T("Building Blocks", "set of building blocks", (2900, 8900), (900, 3000), ("beech", "maple", "abs"),
          ("a set of 60 pieces in assorted shapes", "a canvas storage bag", "an ideas booklet"),
          ("towers and castles", "early maths skills", "cooperative play"),
          adjs=("Castle", "Architect", "Rainbow", "Magnetic"), mat_in_name=False),
        T("Play Kitchen Set", "play kitchen set", (2400, 12900), (800, 9000), ("beech", "stainless", "felt"),
          ("a pretend hob that clicks", "play pots and pans", "felt vegetables you can slice"),
          ("pretend play", "copying grown-ups", "preschool role play"),
          adjs=("Mini Chef", "Breakfast", "Tea Party", "Bakery"), mat_in_name=False),
        T("Board Game", "board game", (1900, 4900), (500, 1400), ("board",),
          ("rules that take five minutes to learn", "illustrated cards", "a cloth drawstring bag for the pieces"),
          ("family game nights", "holiday gatherings", "rainy days"),
          adjs=("Cooperative", "Strategy", "Memory", "Word", "Dice"), mat_in_name=False,
          extra={"players": ["2-4", "2-6", "3-8"], "age_range": ["5+", "8+", "10+"]}, facts=("It plays {players} people, ages {age_range}.",)),
    ),
))

CATEGORIES.append(C(
    "office", "Office", "OFC",
    "Desks, chairs, notebooks, pens and organisers for productive workdays.",
    brands=("Ledger & Quill", "Deskbound", "Inkwell", "Studio Forma", "Paperstack"),
    colors=("Black", "Forest Green", "Navy", "Oat", "Terracotta", "Grey", "White"),
    styles=("minimal", "classic", "modern"),
    audiences=("remote workers", "students", "writers and journalers", "anyone with a home office"),
    notes=(
        "It brings a little calm to a cluttered desk.",
        "A practical gift for a new job or a new term.",
        "Designed with people who work from home every day in mind.",
    ),
    types=(
        T("Notebook", "notebook", (1200, 3400), (200, 450), ("paper", "leather", "canvas"),
          ("lay-flat binding", "a ribbon bookmark", "numbered pages", "an elastic closure"),
          ("journaling", "meeting notes", "sketching", "bullet journals"),
          adjs=("Dotted", "Lined", "Plain", "Grid"), mat_in_name=False,
          variants=(("A5", {"size": "A5"}, 1.0, 1.0), ("A4", {"size": "A4"}, 1.3, 1.8), ("Pocket", {"size": "A6"}, 0.75, 0.5)), variant_in_name=0.7),
        T("Fountain Pen", "fountain pen", (2400, 14900), (20, 50), ("brass", "aluminium", "resin"),
          ("a steel or gold nib", "a converter and cartridges", "a pocket clip"),
          ("journaling", "letters", "signing documents"),
          adjs=("Classic", "Demonstrator", "Pocket"),
          extra={"nib": ["extra fine", "fine", "medium", "broad"]}, facts=("The nib is a smooth {nib}, ground and tested by hand.",)),
        T("Office Chair", "office chair", (24900, 89900), (14000, 22000), ("mesh", "leather", "performance-fabric"),
          ("adjustable lumbar support", "4D armrests", "a synchro-tilt mechanism", "a breathable back"),
          ("long workdays", "gaming", "home offices"),
          adjs=("Ergonomic", "Task", "Executive"), mat_in_name=False, dims=(66, 66, 115)),
        T("Standing Desk", "standing desk", (34900, 89900), (30000, 45000), ("oak", "walnut", "bamboo"),
          ("dual motors", "a memory keypad with four presets", "a cable tray"),
          ("home offices", "back health", "small studios"),
          adjs=("Electric", "Compact", "L-Shaped"), mat_in_name=True, colors=("Black Frame", "White Frame"), dims=(140, 70, 120)),
        T("Desk Organiser", "desk organiser", (1900, 6900), (300, 1500), ("walnut", "oak", "felt", "leather"),
          ("compartments for pens and phone", "a letter tray", "a cable slot"),
          ("tidy desks", "home offices", "craft supplies"),
          adjs=("Modular", "Tiered", "Monitor-Stand")),
        T("Desk Mat", "desk mat", (1900, 5900), (300, 900), ("felt", "leather", "cork"),
          ("a smooth surface for mice", "a non-slip base", "stitched edges"),
          ("keyboard set-ups", "protecting wooden desks", "writing comfort"),
          adjs=("Large", "Extended", "Reversible"), dims=(90, 40, 0.3)),
    ),
))

CATEGORIES.append(C(
    "pet-supplies", "Pet Supplies", "PET",
    "Beds, leads, bowls, toys and grooming for dogs and cats.",
    brands=("Good Boy Goods", "Whisker & Paw", "Fetch", "Pawsome", "Barkley & Co."),
    colors=("Tan", "Navy", "Olive", "Red", "Grey", "Mustard", "Pink"),
    styles=("modern", "classic", "outdoor"),
    audiences=("dog owners", "cat people", "new puppy parents", "senior pets"),
    notes=(
        "It is easy to clean, because pets will be pets.",
        "Tested by our office dogs, who have strong opinions.",
        "A great gift for a new puppy or a rescue settling in.",
    ),
    types=(
        T("Dog Bed", "dog bed", (4900, 17900), (1500, 6000), ("performance-fabric", "canvas", "fleece", "boucle"),
          ("an orthopaedic memory-foam base", "a removable, washable cover", "raised bolster sides", "a non-slip base"),
          ("senior dogs with stiff joints", "crates", "dogs who curl up"),
          adjs=("Orthopaedic", "Bolster", "Donut", "Calming"), sizes="pet"),
        T("Dog Lead", "dog lead", (1900, 5900), (100, 300), ("leather", "nylon", "hemp"),
          ("a padded handle", "a traffic handle near the clip", "reflective stitching", "a solid brass clip"),
          ("city walks", "training", "hiking with dogs"),
          adjs=("Rope", "Hands-Free", "Classic", "Reflective")),
        T("Dog Collar", "dog collar", (1400, 4500), (40, 150), ("leather", "nylon", "hemp"),
          ("a quick-release buckle", "a D-ring for tags", "reflective trim"),
          ("everyday wear", "puppies", "adventure dogs"),
          adjs=("Padded", "Rolled", "Martingale", "Breakaway"), sizes="pet"),
        T("Pet Bowl", "pet bowl", (1400, 4900), (300, 1400), ("ceramic", "stainless", "stoneware"),
          ("a non-slip silicone base", "a slow-feeder pattern", "a raised stand"),
          ("fast eaters", "water stations", "cats and small dogs"),
          adjs=("Raised", "Slow-Feeder", "Double", "Wide"), cap=(400, 800, 1500)),
        T("Cat Scratcher", "cat scratcher", (2400, 12900), (1500, 9000), ("jute", "felt", "rattan"),
          ("a replaceable sisal pad", "a lounging platform", "a dangling toy"),
          ("protecting sofas", "indoor cats", "kittens"),
          adjs=("Tower", "Wall-Mounted", "Lounge", "Cardboard"), dims=(45, 45, 80)),
        T("Chew Toy", "chew toy", (900, 2400), (80, 300), ("rubber", "hemp", "felt"),
          ("a treat-dispensing hollow", "a floating design", "a squeaker"),
          ("power chewers", "puppies teething", "fetch at the park"),
          adjs=("Durable", "Tug", "Treat", "Puzzle")),
        T("Grooming Brush", "grooming brush", (1200, 3400), (100, 250), ("bamboo", "beech"),
          ("self-cleaning pins", "a deshedding edge", "rounded tips that are kind to skin"),
          ("shedding season", "long-haired cats", "double-coated dogs"),
          adjs=("Slicker", "Deshedding", "Bristle"), colors=()),
    ),
))

CATEGORIES.append(C(
    "audio", "Audio", "AUD",
    "Headphones, earbuds, speakers and turntables for listening at home and away.",
    brands=("Sonora", "Fidelity Lab", "Hushwave", "Echo & Oak", "Decibel Works"),
    colors=("Black", "Sand", "Midnight Blue", "Silver", "Forest Green", "White"),
    styles=("audiophile", "portable", "retro"),
    audiences=("music lovers", "commuters", "podcast listeners", "vinyl collectors"),
    notes=(
        "Bluetooth 5.3 keeps the connection steady across a room.",
        "A companion app lets you fine-tune the EQ.",
        "It comes with a two-year warranty.",
    ),
    types=(
        T("Noise-Cancelling Headphones", "noise-cancelling headphones", (14900, 39900), (220, 320), ("aluminium", "leather", "abs"),
          ("adaptive noise cancelling", "memory-foam ear cushions", "a folding design with a hard case", "multipoint pairing"),
          ("long flights", "open-plan offices", "focused study sessions"),
          adjs=("Over-Ear", "Wireless", "Travel", "Studio"), plural=True, mat_in_name=False,
          extra={"battery_hours": (30, 60)}, facts=("A full charge gives about {battery_hours} hours of listening.",)),
        T("Wireless Earbuds", "wireless earbuds", (5900, 24900), (40, 60), ("abs", "aluminium"),
          ("an IPX4 sweat-resistant rating", "a wireless charging case", "transparency mode"),
          ("runs and gym sessions", "commuting", "phone calls"),
          adjs=("Sport", "Everyday", "Noise-Cancelling", "Compact"), plural=True, mat_in_name=False,
          extra={"battery_hours": (6, 10)}, facts=("They last {battery_hours} hours per charge, with more in the case.",)),
        T("Bluetooth Speaker", "Bluetooth speaker", (4900, 29900), (500, 2500), ("aluminium", "abs", "walnut"),
          ("an IP67 waterproof, dustproof body", "360-degree sound", "stereo pairing", "a built-in microphone"),
          ("beach days", "garden parties", "showers and kitchens"),
          adjs=("Portable", "Waterproof", "Outdoor", "Mini"), mat_in_name=False,
          extra={"battery_hours": (10, 24)}, facts=("The battery runs for about {battery_hours} hours at moderate volume.",)),
        T("Turntable", "turntable", (19900, 79900), (4500, 9000), ("walnut", "oak", "aluminium"),
          ("a belt drive that isolates motor noise", "a built-in switchable phono preamp", "a pre-mounted cartridge", "a dust cover"),
          ("vinyl collections", "listening parties", "a first record player"),
          adjs=("Belt-Drive", "Manual", "Bluetooth"), colors=(), dims=(42, 35, 12)),
        T("Bookshelf Speakers", "bookshelf speakers", (19900, 69900), (6000, 12000), ("walnut", "oak", "abs"),
          ("a silk-dome tweeter", "built-in amplification", "HDMI ARC and optical inputs"),
          ("home hi-fi", "TV sound", "desktop set-ups"),
          adjs=("Powered", "Passive", "Studio"), plural=True, colors=(), dims=(18, 24, 30)),
        T("Soundbar", "soundbar", (19900, 79900), (2500, 6000), ("aluminium", "abs"),
          ("Dolby Atmos decoding", "a clear dialogue mode", "a wall-mount kit"),
          ("movie nights", "sports", "small living rooms"),
          adjs=("Compact", "Atmos", "Slim"), mat_in_name=False, colors=("Black", "White"), dims=(90, 10, 7)),
    ),
))

CATEGORIES.append(C(
    "travel", "Travel", "TRV",
    "Luggage, packing cubes, travel pillows and organisers for smoother trips.",
    brands=("Wanderly", "Jetset", "Passage", "Roamwell", "Globetrotter Goods"),
    colors=("Black", "Navy", "Sage", "Sand", "Terracotta", "Graphite", "Blush"),
    styles=("minimal", "adventure", "business"),
    audiences=("frequent flyers", "backpackers", "business travellers", "families on holiday"),
    notes=(
        "It is built for the knocks of baggage handling.",
        "A smart gift for someone with a big trip coming up.",
        "Everything about it is designed to make airports less stressful.",
    ),
    portable=True,
    types=(
        T("Carry-On Suitcase", "carry-on suitcase", (14900, 44900), (2800, 3800), ("polycarbonate", "aluminium", "nylon"),
          ("360-degree spinner wheels", "a TSA-approved lock", "a compression pad inside", "a telescoping handle"),
          ("weekend breaks", "business trips", "airline cabin limits"),
          adjs=("Hardside", "Expandable", "Spinner", "Lightweight"), dims=(55, 35, 23),
          extra={"capacity_l": [36, 38, 40, 42]}),
        T("Checked Suitcase", "checked suitcase", (19900, 54900), (4200, 5600), ("polycarbonate", "aluminium"),
          ("a two-sided compartment", "double spinner wheels", "an integrated lock"),
          ("long holidays", "family travel", "moving abroad"),
          adjs=("Large", "Medium", "Spinner"), dims=(75, 50, 30),
          extra={"capacity_l": [70, 85, 100]}),
        T("Packing Cubes", "packing cubes", (2400, 5900), (200, 400), ("nylon", "polyester"),
          ("a set of four sizes", "compression zips", "mesh tops so you can see what is inside"),
          ("organising a suitcase", "backpacking", "sharing a bag"),
          adjs=("Compression", "Ultralight", "Four-Piece"), plural=True, mat_in_name=False),
        T("Travel Pillow", "travel pillow", (2400, 5900), (200, 400), ("polyester", "merino", "bamboo-fabric"),
          ("memory foam that supports your chin", "a washable cover", "a clip for your bag"),
          ("long-haul flights", "overnight trains", "road trips"),
          adjs=("Memory Foam", "Wrap", "Inflatable"), mat_in_name=False),
        T("Toiletry Bag", "toiletry bag", (2400, 6900), (200, 450), ("canvas", "leather", "nylon"),
          ("a hanging hook", "a waterproof lining", "clear pouches for airport security"),
          ("weekend trips", "gym bags", "business travel"),
          adjs=("Hanging", "Dopp Kit", "Roll-Up")),
        T("Passport Wallet", "passport wallet", (1900, 6900), (60, 150), ("leather", "vegan-leather", "nylon"),
          ("slots for cards and boarding passes", "RFID protection", "a pen loop"),
          ("international trips", "family travel documents", "gap years"),
          adjs=("Travel", "Zip", "Slim")),
    ),
))

CATEGORIES.append(C(
    "coffee-tea", "Coffee & Tea", "COF",
    "Beans, loose-leaf tea, brewers, grinders and kettles for better cups at home.",
    brands=("Roast & Ritual", "Kettle & Leaf", "Third Wave Supply", "Morning Ritual", "Steep"),
    colors=("Matte Black", "White", "Copper", "Sage", "Stainless", "Cream"),
    styles=("specialty", "Japanese", "classic", "barista"),
    audiences=("coffee lovers", "tea drinkers", "home baristas", "anyone who needs their morning cup"),
    notes=(
        "A great gift for a coffee lover, or a tea fanatic.",
        "Better mornings start with a better cup.",
        "Once you brew this way, it is hard to go back.",
    ),
    types=(
        T("Whole Bean Coffee", "bag of whole bean coffee", (1400, 2900), (250, 1000), ("ethiopia", "colombia", "sumatra", "espresso-blend"),
          ("a roast date on every bag", "a one-way degassing valve", "tasting notes on the label"),
          ("pour-over", "espresso", "cafetière mornings"),
          adjs=("Single-Origin", "Light Roast", "Medium Roast", "Dark Roast"), colors=(),
          variants=(("250 g", {"net_grams": 250}, 1.0, 1.0), ("1 kg", {"net_grams": 1000}, 2.8, 4.0)), variant_in_name=0.6,
          facts=("It is roasted in small batches and shipped within 48 hours.",), auds=("coffee lovers", "home baristas", "anyone who needs their morning cup")),
        T("Loose-Leaf Tea", "tin of loose-leaf tea", (1200, 3400), (120, 300), ("darjeeling", "sencha", "rooibos", "oolong", "matcha"),
          ("a resealable tin", "brewing guides on the label", "enough for about 40 cups"),
          ("afternoon tea", "a calm morning", "cold brew in summer"),
          adjs=("Organic", "Single-Estate", "First-Flush", "Ceremonial"), colors=(),
          facts=("Steep it for three minutes, then taste and adjust.",), auds=("tea drinkers", "anyone cutting back on coffee", "people who love a slow afternoon cup")),
        T("Pour-Over Dripper", "pour-over dripper", (1900, 5900), (150, 500), ("ceramic", "glass", "stainless", "porcelain"),
          ("spiral ribs for even extraction", "a single large hole that lets you control flow", "a stable base that fits most mugs"),
          ("single cups of specialty coffee", "slow weekend mornings", "a first step into manual brewing"),
          adjs=("Cone", "Flat-Bottom", "Wave"),
          care="Rinse with hot water after each brew; it is dishwasher safe.", auds=("coffee lovers", "home baristas", "anyone who needs their morning cup")),
        T("French Press", "French press", (2400, 8900), (500, 1200), ("glass", "stainless"),
          ("a four-layer mesh filter", "a double-wall body that keeps coffee hot", "a drip-free spout"),
          ("rich, full-bodied coffee", "cold brew", "loose-leaf tea"),
          adjs=("Double-Wall", "Classic", "Travel"), cap=(350, 800, 1000), auds=("coffee lovers", "home baristas", "anyone who needs their morning cup")),
        T("Burr Grinder", "burr grinder", (4900, 29900), (600, 3500), ("stainless", "aluminium"),
          ("conical steel burrs", "40 grind settings from espresso to cold brew", "a low-retention chute"),
          ("espresso", "pour-over", "cafetière"),
          adjs=("Manual", "Electric", "Hand", "Precision"), mat_in_name=False, care="Brush the burrs out every week or two; never wash them with water.", auds=("coffee lovers", "home baristas", "anyone who needs their morning cup")),
        T("Gooseneck Kettle", "gooseneck kettle", (3900, 17900), (700, 1400), ("stainless", "copper"),
          ("a precision spout for controlled pours", "temperature hold for 60 minutes", "a built-in thermometer"),
          ("pour-over coffee", "green tea at the right temperature", "tea ceremonies"),
          adjs=("Electric", "Stovetop", "Variable-Temp"), cap=(600, 900, 1000), care="Wipe the outside with a damp cloth and descale it monthly with citric acid.", auds=("tea drinkers", "home baristas", "coffee lovers")),
        T("Teapot", "teapot", (2900, 11900), (500, 1400), ("cast-iron", "porcelain", "glass", "stoneware"),
          ("a removable stainless infuser", "a drip-free spout", "a lid that stays put while pouring"),
          ("loose-leaf tea", "afternoon tea for two", "tea ceremonies"),
          adjs=("Tetsubin", "Round", "Kyusu"), cap=(600, 900, 1200), auds=("tea drinkers", "anyone cutting back on coffee", "people who love a slow afternoon cup")),
    ),
))


# ---------------------------------------------------------------------------
# Sentence pools. Every template is formatted with the product context built
# in `context()`: {this}/{This}, {it}/{It}, {it_obj}, {its}, {is}, {has} and
# the verb suffix {s} make one template work for "this skillet" and "these
# shoes" alike. Features {f1..f3} and uses {u1}/{u2} are noun phrases.
# ---------------------------------------------------------------------------

# The verb that joins a product to its material, by material kind.
VERBS = {
    "fabric": ("cut from", "sewn from", "made from"),
    "leather": ("crafted from", "made from", "stitched from"),
    "metal": ("made from", "built from"),
    "wood": ("crafted from", "made from", "shaped from"),
    "ceramic": ("made from", "shaped from"),
    "glass": ("made from",),
    "stone": ("cut from", "carved from"),
    "ingredient": ("made with", "formulated with", "built around"),
    "origin": ("made from",),
    "seed": ("packed with", "filled with"),
    "other": ("made from",),
}

OPENERS = (
    "{This} {adj_noun} {is} {verb} {mat}, which gives {it_obj} {benefit}.",
    "{Verb} {mat}, {this} {noun} {has} {benefit}.",
    "{Brand_s} {adj_noun} {is} {verb} {mat} for {benefit}.",
    "Meet {this} {adj_noun}: {verb} {mat}, with {f1}.",
    "We made {this} {noun} from {mat} because nothing else gives quite the same {benefit_bare}.",
    "{This} {noun} from {brand} pair{s} {mat} with {f1}.",
    "{This} {noun} {is} {a_style} design in {mat}, finished with {f1}.",
    "Looking for something for {u1}? {This} {adj_noun} {is} {verb} {mat} and designed for exactly that.",
    "{Brand} designed {this} {adj_noun} around {f1}, then chose {mat} for {benefit}.",
    "Simple, sturdy and easy to love, {this} {adj_noun} {is} {verb} {mat}.",
    "There is a lot to like about {this} {adj_noun}, starting with {mat} and {f1}.",
)

# Used instead of OPENERS when the product has a colour worth leading with.
COLOR_OPENERS = (
    "In {color_l}, {this} {noun} {is} {verb} {mat} and finished with {f1}.",
    "{A_adj_noun} in {color_l}, {verb} {mat} for {benefit}.",
    "{This} {color_l} {noun} from {brand} {is} {verb} {mat}, which brings {benefit}.",
)

FEATURES = (
    "Details include {fa} and {fb}.",
    "You also get {fa}, plus {fb}.",
    "Look closely and you will find {fa} and {fb}.",
    "{Fa} and {fb} set {it_obj} apart from cheaper versions.",
    "{It} come{s} with {fa} and {fb}.",
    "The thoughtful touch is {fa}.",
    "Small things matter here: {fa}, and {fb}.",
    "Extras like {fb} make everyday use that much easier.",
    "{Fb} is the detail people mention most in reviews.",
)

USES = (
    "Ideal for {ua} and {ub}.",
    "Use {it_obj} for {ua}, {ub} or anything in between.",
    "{It} shine{s} at {ua} but {is} just as good for {ub}.",
    "Built with {ua} in mind.",
    "Most people buy {it_obj} for {ua}; plenty end up using {it_obj} for {ub} as well.",
    "Great for {ua}, and surprisingly handy for {ub}.",
    "{It} work{s} just as well for {ub} as for {ua}.",
)

AUDIENCE = (
    "A thoughtful gift for {aud}.",
    "We made {it_obj} with {aud} in mind.",
    "{Aud} tend to appreciate {fb}.",
    "{It} {is} a favourite with {aud}.",
    "Especially good for {aud}.",
    "If you are shopping for {aud}, {this} {is} an easy choice.",
)

CARE = (
    "{care}",
    "Care is easy: {care_l}",
    "To keep {it_obj} looking good, {care_l}",
    "As for care: {care_l}",
)

COLOR = {
    "worn": (
        "The {color_l} colour goes with almost everything in your wardrobe.",
        "Choose {it_obj} in {color_l} for something easy to style.",
    ),
    "home": (
        "In {color_l}, {it} sit{s} happily in {style} and modern rooms alike.",
        "The {color_l} finish is understated and easy to live with.",
    ),
}

# Categories whose colour sentence talks about rooms rather than outfits.
HOME_CATEGORIES = ("kitchen", "cookware", "tableware", "home-decor", "bedding", "bath", "furniture", "lighting", "garden", "office", "coffee-tea")

# Words kept capitalised when an adjective from a product name is used mid-sentence.
PROPER_WORDS = {
    "Japanese", "French", "Shetland", "Bauhaus", "Haws", "Moroccan", "Kilim", "Windsor", "Dopp", "Cantonese",
    "GMT", "NATO", "Atmos", "Bordeaux", "Burgundy", "Damascus", "Pullman", "Sea", "Salt", "Fig",
}

# Model names used only when every natural name for a product is taken.
MODEL_NAMES = (
    "Alder", "Birch", "Cove", "Dune", "Ember", "Fjord", "Harbor", "Juniper", "Kestrel", "Linden",
    "Meadow", "Nomad", "Orchard", "Pinion", "Quarry", "Ridge", "Sierra", "Tundra", "Umber", "Willow",
)

# Order in which the chosen sentences appear after the opener; lower first.
RANK = {"feat": 1.0, "fact": 1.5, "use": 2.0, "color": 2.5, "season": 2.5, "aud": 3.0, "note": 3.5, "spec": 4.0, "care": 5.0}


# ---------------------------------------------------------------------------
# Small text helpers.
# ---------------------------------------------------------------------------


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def article(phrase: str) -> str:
    """'a' or 'an' for a phrase, by its first letter (good enough for this vocabulary)."""
    first = phrase.lstrip()[:1].lower()
    return "an" if first in "aeiou" or phrase.startswith(("18", "8 ", "11")) else "a"


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def adjective_in_sentence(adj: str) -> str:
    """'Japanese-Style' -> 'Japanese-style', 'U-Lock' stays, 'Hand-Knotted' -> 'hand-knotted'."""
    words = []
    for word in adj.split(" "):
        parts = [p if len(p) <= 1 or p.isupper() or p in PROPER_WORDS else p.lower() for p in word.split("-")]
        words.append("-".join(parts))
    return " ".join(words)


def with_adjective(adj: str, noun: str) -> str:
    """Put the adjective where it belongs: 'set of rimmed dinner plates', 'forged chef's knife'."""
    if not adj:
        return noun
    for head in ("set of ", "bag of ", "tin of ", "pair of "):
        if noun.startswith(head):
            return head + adj + " " + noun[len(head):]
    return f"{adj} {noun}"


def fmt_weight(grams: int) -> str:
    if grams >= 1000:
        return f"{grams / 1000:.1f}".rstrip("0").rstrip(".") + " kg"
    return f"{grams} g"


# ---------------------------------------------------------------------------
# Numbers: prices, weights, dimensions, stock.
# ---------------------------------------------------------------------------


def price_minor(rng: random.Random, lo: int, hi: int, factor: float) -> int:
    """A realistic shelf price: mostly .99, some .49, .95 and round dollars."""
    dollars = max(5, round(rng.uniform(lo, hi) * factor / 100))
    if dollars >= 200:
        # Big-ticket items are priced like $1,249 or $1,249.99.
        dollars = max(209, round(dollars / 10) * 10 - 1)
        return dollars * 100 + rng.choice((0, 0, 99))
    ending = rng.choices((99, 49, 95, 0), weights=(55, 15, 12, 18))[0]
    return dollars * 100 + ending - (100 if ending else 0)


def weight_grams(rng: random.Random, lo: int, hi: int, factor: float) -> int:
    grams = rng.uniform(lo, hi) * factor
    if grams < 20:
        return max(1, round(grams))
    step = 5 if grams < 1000 else 10 if grams < 10000 else 100
    return int(round(grams / step) * step)


def dimensions(rng: random.Random, dims: tuple) -> list:
    out = []
    for value in dims:
        jittered = value * rng.uniform(0.85, 1.15)
        out.append(round(jittered, 1) if value < 5 else int(round(jittered)))
    return out


def stock(rng: random.Random) -> int:
    if rng.random() < OUT_OF_STOCK_RATE:
        return 0
    # Skewed towards smaller quantities, as real inventory is.
    return min(MAX_STOCK, max(1, int(rng.triangular(1, MAX_STOCK, 40))))


def size_slice(rng: random.Random, scheme: str) -> list:
    ladder = SIZE_SCHEMES[scheme]
    if len(ladder) <= 2:
        return list(ladder)
    start = rng.randint(0, max(0, len(ladder) // 3))
    end = rng.randint(max(start + 2, len(ladder) - 2), len(ladder))
    return list(ladder[start:end])


def pick_extra(rng: random.Random, spec) -> object:
    """A choice list picks one value; a (lo, hi) tuple picks an integer in range."""
    if isinstance(spec, tuple):
        return rng.randint(spec[0], spec[1])
    return rng.choice(spec)


# ---------------------------------------------------------------------------
# Product assembly.
# ---------------------------------------------------------------------------


@dataclass
class Draft:
    """Everything chosen for one product before it is written out."""

    category: Category
    ptype: ProductType
    mat: Material
    adj: str
    color: str
    variant: tuple | None
    brand: str
    style: str


def choose(rng: random.Random, cat: Category, ptype: ProductType) -> Draft:
    palette = cat.colors if ptype.colors is None else ptype.colors
    return Draft(
        category=cat,
        ptype=ptype,
        mat=MATERIALS[rng.choice(ptype.mats)],
        adj=rng.choice(ptype.adjs) if ptype.adjs else "",
        color=rng.choice(palette) if palette else "",
        variant=rng.choice(ptype.variants) if ptype.variants else None,
        brand=rng.choice(cat.brands),
        style=rng.choice(cat.styles),
    )


def name_candidates(rng: random.Random, d: Draft) -> list[str]:
    """Natural names for a draft, most specific last; the caller takes the first unused one."""
    t = d.ptype
    mat = d.mat.short
    # Avoid "Silk Silk Pillowcase" and "Waterproof Waterproof Jacket".
    use_mat = t.mat_in_name and mat.lower() not in t.name.lower() and mat.lower() not in d.adj.lower()
    label = d.variant[0] if d.variant else ""
    show_label = bool(label) and rng.random() < t.variant_in_name
    suffix = f" {label}" if show_label else ""
    color = "" if not d.color else f" with {d.color}" if d.color.endswith("Dial") else f" in {d.color}"
    names = []
    if use_mat:
        names.append(f"{d.adj} {mat} {t.name}{suffix}".strip())
        names.append(f"{mat} {t.name}{suffix}{color}")
    names.append(f"{d.adj} {t.name}{suffix}{color}".strip())
    if label and not show_label:
        names.append(f"{d.adj} {t.name} {label}{color}".strip())
    if use_mat:
        names.append(f"{d.adj} {mat} {t.name}{suffix}{color}".strip())
    first = names[: len(names) - 1]
    rng.shuffle(first)
    return [" ".join(n.split()) for n in first + names[len(names) - 1:]]


def attributes(rng: random.Random, d: Draft) -> tuple[dict, dict]:
    """The attributes object, plus the extra values that fact sentences may mention."""
    t, cat = d.ptype, d.category
    attrs: dict = {"brand": d.brand, cat.attr_key: d.mat.attr}
    if d.color:
        attrs["color"] = d.color.lower()
    attrs["style"] = d.style.lower() if d.style[0].islower() or " " in d.style else d.style
    if t.season:
        attrs["season"] = SEASONS[t.season][0]
    attrs["use"] = rng.choice(t.uses)
    if t.sizes:
        attrs["sizes"] = size_slice(rng, t.sizes)
    if d.variant:
        attrs.update(d.variant[1])
    if t.dims:
        attrs["dimensions_cm"] = dimensions(rng, t.dims)
    if t.cap and "capacity_ml" not in attrs:
        attrs["capacity_ml"] = rng.choice(t.cap)
    extras = {key: pick_extra(rng, spec) for key, spec in t.extra.items()}
    attrs.update(extras)
    factor = d.variant[3] if d.variant else 1.0
    attrs["weight_grams"] = weight_grams(rng, t.weight[0], t.weight[1], factor)
    attrs["care"] = d.mat.care_tag if t.care is None else t.care.split(";")[0].split(",")[0].lower().rstrip(".")
    return attrs, extras


def context(rng: random.Random, d: Draft, attrs: dict) -> dict:
    """Every value a sentence template may use, with pronouns that agree with the noun."""
    t, cat, mat = d.ptype, d.category, d.mat
    feats = list(t.feats)
    rng.shuffle(feats)
    while len(feats) < 3:
        feats.append(feats[0])
    uses = list(t.uses)
    rng.shuffle(uses)
    while len(uses) < 3:
        uses.append(uses[len(uses) - 2])
    noun = t.noun
    plural = t.plural
    adj = adjective_in_sentence(d.adj)
    adj_noun = with_adjective(adj, noun)
    care = t.care or mat.care
    ctx = {
        "noun": noun, "adj_noun": adj_noun,
        "this": "these" if plural else "this", "it": "they" if plural else "it",
        "it_obj": "them" if plural else "it", "its": "their" if plural else "its",
        "is": "are" if plural else "is", "has": "have" if plural else "has", "s": "" if plural else "s",
        "verb": rng.choice(VERBS[mat.kind]), "mat": mat.long, "benefit": mat.benefit,
        "benefit_bare": re.sub(r"^(an?|the) ", "", mat.benefit),
        "brand": d.brand, "Brand": d.brand, "Brand_s": possessive(d.brand), "style": d.style,
        "a_style": f"{article(d.style)} {d.style}",
        "color_l": d.color.lower(), "f1": feats[0], "f2": feats[1], "f3": feats[2],
        "u1": uses[0], "u2": uses[1], "u3": uses[2], "aud": rng.choice(t.auds or cat.audiences),
        "care": care, "care_l": lower_first(care),
        "weight": fmt_weight(attrs["weight_grams"]),
    }
    a_adj_noun = ("a pair of " + adj_noun) if plural else f"{article(adj_noun)} {adj_noun}"
    ctx["A_adj_noun"] = cap(a_adj_noun)
    for key in ("this", "it", "verb", "f1", "f2", "aud"):
        ctx[cap(key) if key != "this" else "This"] = cap(ctx[key])
    ctx["F1"], ctx["F2"], ctx["Aud"] = cap(feats[0]), cap(feats[1]), cap(ctx["aud"])
    return ctx


def spec_sentence(rng: random.Random, d: Draft, attrs: dict, ctx: dict) -> str | None:
    """Weight, size or capacity, phrased for what the product is."""
    options = []
    if "dimensions_cm" in attrs:
        l, w, h = attrs["dimensions_cm"]
        options.append(f"{{It}} measure{{s}} about {l} x {w} x {h} cm and weigh{{s}} {ctx['weight']}.")
    if "capacity_ml" in attrs:
        ml = attrs["capacity_ml"]
        amount = f"{ml / 1000:g} litres" if ml >= 1000 else f"{ml} ml"
        options.append(f"{{It}} hold{{s}} {amount}.")
        options.append(f"With a {amount} capacity, {{it}} {{is}} sized for real use.")
    if d.category.portable and attrs["weight_grams"] < 2500:
        options.append("At just {weight}, {it} won't weigh down your pack.")
        options.append("{It} weigh{s} only {weight}, so {it} {is} easy to carry all day.")
    if "sizes" in attrs and len(attrs["sizes"]) > 1 and attrs["sizes"][0] != "One Size":
        options.append(f"Available in sizes {attrs['sizes'][0]} to {attrs['sizes'][-1]}.")
    return rng.choice(options) if options else None


def description(rng: random.Random, d: Draft, attrs: dict, extras: dict) -> str:
    t, cat = d.ptype, d.category
    ctx = context(rng, d, attrs)
    values = {**ctx, **{k: v for k, v in extras.items()}}
    openers = list(OPENERS)
    if d.mat.kind == "ingredient":
        openers = [o for o in openers if "We made" not in o]
    if d.color and not d.color.endswith("Dial") and rng.random() < 0.3:
        opener = rng.choice(COLOR_OPENERS)
        color_led = True
    else:
        color_led = False
        opener = rng.choice(openers)
    # Candidate sentences with a weight (how much we want them) and a kind.
    pool = [
        ("feat", rng.choice(FEATURES), 3.0),
        ("use", rng.choice(USES), 2.5),
        ("aud", rng.choice(AUDIENCE), 1.2),
        ("care", rng.choice(CARE) if d.mat.kind != "ingredient" else "{care}", 1.0),
    ]
    if t.season:
        pool.append(("season", rng.choice(SEASONS[t.season][1]), 3.0))
    for fact in t.facts:
        pool.append(("fact", fact, 2.0))
    if cat.notes:
        pool.append(("note", rng.choice(cat.notes), 1.0))
    spec = spec_sentence(rng, d, attrs, ctx)
    if spec:
        pool.append(("spec", spec, 1.2))
    if d.color and not color_led and not d.color.endswith("Dial") and len(d.color.split()) <= 2:
        kind = "home" if cat.slug in HOME_CATEGORIES else "worn" if cat.worn else None
        if kind:
            pool.append(("color", rng.choice(COLOR[kind]), 0.6))
    # Weighted order without replacement: random key ** (1 / weight).
    pool.sort(key=lambda item: rng.random() ** (1.0 / item[2]), reverse=True)

    # The body sentences use the features and uses the opener did not mention.
    feats = [ctx["f1"], ctx["f2"], ctx["f3"]] if "{f1}" not in opener else [ctx["f2"], ctx["f3"], ctx["f1"]]
    uses = [ctx["u1"], ctx["u2"], ctx["u3"]] if "{u1}" not in opener else [ctx["u2"], ctx["u3"], ctx["u1"]]
    values.update(fa=feats[0], fb=feats[1], fc=feats[2], Fa=cap(feats[0]), Fb=cap(feats[1]), ua=uses[0], ub=uses[1])
    chosen = [opener.format(**values)]
    kinds = []
    target = rng.randint(165, 260)
    length = len(chosen[0])
    for kind, template, _ in pool:
        # A question-led opener is already two sentences; stay within four in all.
        sentences = len(chosen) + chosen[0].count("?")
        if sentences >= 4 or (length >= target and len(chosen) >= 2):
            break
        sentence = template.format(**values)
        if length + 1 + len(sentence) > DESCRIPTION_LEN[1] or sentence in chosen:
            continue
        chosen.append(sentence)
        kinds.append(kind)
        length += 1 + len(sentence)
    body = sorted(zip(kinds, chosen[1:]), key=lambda pair: RANK[pair[0]] + rng.random() * 0.6)
    text = " ".join([chosen[0]] + [s for _, s in body])
    return text


def build_product(rng: random.Random, cat: Category, ptype: ProductType, number: int, taken: set) -> dict:
    d = choose(rng, cat, ptype)
    name = next((n for n in name_candidates(rng, d) if n not in taken), None)
    if name is None:
        for brand in rng.sample(cat.brands, k=len(cat.brands)):
            candidate = f"{brand} {name_candidates(rng, d)[0]}"
            if candidate not in taken:
                name = candidate
                d.brand = brand  # The name now says the brand, so the product must be theirs.
                break
    if name is None:
        # Every natural name is used: lead with a model name instead of a number.
        for model in rng.sample(MODEL_NAMES, k=len(MODEL_NAMES)):
            candidate = f"{model} {name_candidates(rng, d)[0]}"
            if candidate not in taken:
                name = candidate
                break
    assert name is not None, f"no free name for {cat.slug}/{ptype.name}"
    taken.add(name)
    attrs, extras = attributes(rng, d)
    factor = d.variant[2] if d.variant else 1.0
    sku = f"{cat.prefix}-{number:05d}"
    return {
        "sku": sku,
        "name": name,
        "description": description(rng, d, attrs, extras),
        "category": cat.slug,
        "price_minor": price_minor(rng, ptype.price[0], ptype.price[1], factor),
        "currency": CURRENCY,
        "image_urls": [f"/images/products/{sku}-{i}.svg" for i in range(1, rng.choice((1, 1, 2, 3)) + 1)],
        "attributes": attrs,
        "stock": stock(rng),
    }


def build_catalog(rng: random.Random) -> list[dict]:
    products = []
    taken: set = set()  # Only used for membership tests, never iterated.
    for cat in CATEGORIES:
        count = PRODUCTS_BASE + rng.randint(0, PRODUCTS_EXTRA)
        # Spread products evenly over the category's types, in a shuffled order.
        picks = [cat.types[i % len(cat.types)] for i in range(count)]
        rng.shuffle(picks)
        for number, ptype in enumerate(picks, start=1):
            products.append(build_product(rng, cat, ptype, number, taken))
    return products


def check(categories: list[dict], products: list[dict]) -> None:
    """Fail loudly rather than write a seed the catalog service would reject."""
    slugs = [c["slug"] for c in categories]
    assert len(slugs) == len(dict.fromkeys(slugs)) >= 24
    assert all(SLUG_RE.match(s) for s in slugs)
    assert len(products) >= MIN_TOTAL, len(products)
    skus = [p["sku"] for p in products]
    names = [p["name"] for p in products]
    assert len(skus) == len(dict.fromkeys(skus)), "duplicate sku"
    assert len(names) == len(dict.fromkeys(names)), "duplicate name"
    for p in products:
        assert SKU_RE.match(p["sku"]), p["sku"]
        assert p["category"] in slugs
        lo, hi = DESCRIPTION_LEN
        assert lo <= len(p["description"]) <= hi, (p["sku"], len(p["description"]), p["description"])
        assert "{" not in p["description"] and "}" not in p["description"], p["description"]
        assert isinstance(p["attributes"].get("weight_grams"), int), p["sku"]
        assert 0 <= p["stock"] <= MAX_STOCK
    for slug in slugs:
        assert sum(p["category"] == slug for p in products) >= 60, slug


def main() -> int:
    rng = random.Random(SEED)
    categories = [{"slug": c.slug, "name": c.name, "description": c.description} for c in CATEGORIES]
    products = build_catalog(rng)
    check(categories, products)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "categories.json").write_text(json.dumps(categories, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = (json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in products)
    (OUT_DIR / "products.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(categories)} categories and {len(products)} products to {OUT_DIR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
