"""Helpers for build.py: the seed catalog (P, S by sku), product types, attribute readers."""
import json,re,collections
P=[json.loads(l) for l in open(__import__('os').path.join(__import__('os').path.dirname(__file__), '..', 'seed', 'products.jsonl'))]
S={p['sku']:p for p in P}
def A(p,k): return p['attributes'].get(k)
def show(ps,desc=False,extra=()):
    for p in ps:
        a=p['attributes']
        s=f"{p['sku']:10} {p['name'][:48]:48} {p['category'][:10]:10} m={a.get('material')} c={a.get('color')} st={a.get('style')} b={a.get('brand')} u={a.get('use')}"
        for e in extra: s+=f" {e}={a.get(e)}"
        print(s)
        if desc: print('     ',p['description'])
def find(pat,fields=('name',),cat=None):
    r=re.compile(pat,re.I)
    out=[]
    for p in P:
        if cat and p['category'] not in (cat if isinstance(cat,(list,tuple,set)) else [cat]): continue
        txt=' '.join(json.dumps(p[f]) if f=='attributes' else str(p[f]) for f in fields)
        if r.search(txt): out.append(p)
    return out
TYPES={
'audio':['Wireless Earbuds','Bluetooth Speaker','Soundbar','Turntable','Noise-Cancelling Headphones','Bookshelf Speakers'],
'bags':['Crossbody Bag','Belt Bag','Tote Bag','Laptop Backpack','Wallet','Weekender Bag'],
'bath':['Bath Towel','Bathrobe','Towel Set','Soap Dispenser','Shower Caddy','Bath Mat'],
'beauty':['Hair Oil','Face Mask','Lip Balm Set','Moisturiser','Cleanser','Body Lotion','Face Serum'],
'bedding':['Duvet Cover','Silk Pillowcase','Pillow','Sheet Set','Throw Blanket','Duvet','Mattress Topper'],
'camping':['Camp Chair','Sleeping Bag','Cook Set','Tent','Headlamp','Camp Stove','Sleeping Pad'],
'coffee-tea':['Burr Grinder','Whole Bean Coffee','Teapot','Pour-Over Dripper','Gooseneck Kettle','French Press','Loose-Leaf Tea'],
'cookware':['Wok','Stockpot','Saucepan','Grill Pan','Loaf Pan','Skillet','Sheet Pan','Dutch Oven'],
'cycling':['Cycling Jersey','Bike Light Set','Cycling Gloves','Pannier','Bib Shorts','Bike Lock','Cycling Helmet'],
'fitness':['Foam Roller','Training Gloves','Resistance Band Set','Kettlebell','Workout Bench','Jump Rope','Adjustable Dumbbell'],
'footwear':['Slippers','Sandals','Sneakers','Chelsea Boots','Trail Running Shoes','Wool Socks','Hiking Boots'],
'furniture':['Dining Chair','Bed Frame','Coffee Table','Nightstand','Armchair','Sofa','Dining Table','Bookcase'],
'garden':['Watering Can','Pruning Shears','Seed Collection','Trowel','Planter','Gardening Gloves','Raised Garden Bed'],
'home-decor':['Vase','Throw Pillow','Scented Candle','Area Rug','Wall Mirror','Storage Basket','Framed Print'],
'jewelry':['Stacking Ring','Stud Earrings','Hoop Earrings','Pendant Necklace','Chain Bracelet'],
'kids':["Kids' Backpack",'Snowsuit','Baby Blanket','Romper',"Kids' Rain Jacket","Kids' Sneakers",'Pyjama Set'],
'kitchen':['Apron','Mixing Bowl Set','Cutting Board','Kitchen Scale','Tea Towel Set',"Chef's Knife",'Utensil Set','Storage Canister'],
'lighting':['Wall Sconce','Pendant Light','Table Lamp','Floor Lamp','Desk Lamp','Lantern'],
'mens-clothing':['Wool Coat','Crewneck Sweater','Chinos','Oxford Shirt','Overshirt','T-Shirt','Jeans'],
'office':['Desk Mat','Desk Organiser','Notebook','Standing Desk','Office Chair','Fountain Pen'],
'outdoor-gear':['Rain Jacket','Hiking Socks','Fleece Jacket','Trekking Poles','Down Jacket','Hiking Backpack','Beanie','Insulated Gloves'],
'pet-supplies':['Chew Toy','Dog Collar','Cat Scratcher','Dog Bed','Pet Bowl','Grooming Brush','Dog Lead'],
'tableware':['Salad Servers','Pasta Bowl Set','Flatware Set','Wine Glass Set','Tumbler Set','Dinner Plate Set','Serving Platter','Mug Set'],
'toys':['Building Blocks','Play Kitchen Set','Wooden Stacker','Board Game','Jigsaw Puzzle','Plush Toy'],
'travel':['Passport Wallet','Toiletry Bag','Travel Pillow','Packing Cubes','Suitcase'],
'watches':['Watch Strap','Watch Box','Automatic Watch','Dive Watch','Quartz Watch'],
'womens-clothing':['Cardigan','Leggings','Wide-Leg Trousers','Wrap Dress','Sweater','Trench Coat','Blouse'],
'yoga':['Bolster','Meditation Cushion','Yoga Block','Yoga Top','Yoga Strap','Yoga Mat'],
}
def ptype(p):
    for t in sorted(TYPES[p['category']],key=len,reverse=True):
        if t.lower() in p['name'].lower(): return t
    return None
for p in P: p['type']=ptype(p)
def T(t,cat=None): return [p for p in P if p['type']==t and (cat is None or p['category']==cat)]
BRANDS=set(p['attributes']['brand'] for p in P)
def strip_name(p):
    n=p['name']
    n=re.sub(r' (in|with) [^,]+$','',n)
    for b in sorted(BRANDS,key=len,reverse=True):
        if n.startswith(b+' '): n=n[len(b)+1:]
    return n
def modifier(p):
    n=strip_name(p)
    t=p['type']
    i=n.lower().find(t.lower())
    return n[:i].strip()
def exact_rel(target_skus, same_type_grade=1, extra=None):
    rel={}
    tg=[S[s] for s in target_skus]
    t=tg[0]['type']; cat=tg[0]['category']
    mods=set(); mats=set()
    for p in tg:
        mods.update(w.lower() for w in modifier(p).split())
        if A(p,'material'): mats.add(A(p,'material'))
    for p in T(t,cat):
        if p['sku'] in target_skus: rel[p['sku']]=3; continue
        pm=set(w.lower() for w in modifier(p).split())
        if (pm & mods) or (A(p,'material') in mats and mats):
            rel[p['sku']]=2
        elif same_type_grade: rel[p['sku']]=same_type_grade
    if extra: rel.update(extra)
    return rel
def showrel(rel,desc=False):
    for s,g in sorted(rel.items(),key=lambda x:(-x[1],x[0])):
        p=S[s]; a=p['attributes']
        print(f"  {g} {s:10} {p['name'][:50]:50} m={a.get('material')} c={a.get('color')} st={a.get('style')} u={a.get('use')}")
        if desc: print('       ',p['description'][:300])
