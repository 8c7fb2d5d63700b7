"""The rules that labelled queries.jsonl: per query, which products are relevant and how much
(3 exact, 2 good, 1 related), written by reading the seed catalog; `python3 build.py` writes
queries.jsonl again, the same bytes. h.py holds the helpers."""
import sys
from h import *
Q=[]
def addq(kind,query,rel):
    assert 1<=len(rel)<=45,(query,len(rel))
    for s in rel: assert s in S,s
    Q.append({'kind':kind,'query':query,'relevant':dict(sorted(rel.items(),key=lambda x:(-x[1],x[0])))})
def by_name(n):
    r=[p['sku'] for p in P if p['name']==n or p['name'].endswith(' '+n) and p['name'][:-len(n)-1] in BRANDS]
    assert r,n; return r
def match(p,pat):
    return re.search(pat,p['name']+' | '+str(A(p,'material')),re.I)
def X(query,name,key2=None,cat_type=None,rest=1,extra=None):
    tg=by_name(name); t0=S[tg[0]]
    rel={}
    for p in T(t0['type'],t0['category']):
        if p['sku'] in tg: rel[p['sku']]=3
        elif key2 and match(p,key2): rel[p['sku']]=2
        elif rest: rel[p['sku']]=rest
    if extra:
        for s,g in extra.items(): rel[s]=max(rel.get(s,0),g)
    addq('exact',query,rel)
def G(rel,ps,g):
    for p in ps:
        s=p if isinstance(p,str) else p['sku']
        rel[s]=max(rel.get(s,0),g)
    return rel

# ---------------- EXACT ----------------
X('denim apron in sage','Denim Apron in Sage',r'denim')
X('kimono bathrobe in terracotta','Kimono Bathrobe in Terracotta',r'kimono|in terracotta')
X('cast iron dutch oven 7 l flame orange','Cast-Iron Dutch Oven 7 L in Flame Orange',r'cast-iron|\| cast iron')
X("damascus chef's knife 23 cm","Damascus Chef's Knife 23 cm",r'high-carbon')
X('winter sleeping bag in sand','Winter Sleeping Bag in Sand',r'winter|mummy')
X('GMT automatic watch with salmon dial','GMT Automatic Watch with Salmon Dial',r'gmt')
X('lug-sole leather chelsea boots','Lug-Sole Leather Chelsea Boots',r'lug-sole|leather')
X('herringbone cashmere throw blanket','Herringbone Cashmere Throw Blanket',r'cashmere')
X('organic matcha loose-leaf tea','Organic Matcha Loose-Leaf Tea',r'matcha')
X('velvet sofa navy','Velvet Sofa in Navy',r'velvet')
X('maxi silk wrap dress','Maxi Silk Wrap Dress',r'maxi|silk')
X('fisherman crewneck sweater in rust','Fisherman Crewneck Sweater in Rust',r'fisherman')
X('l-shaped oak standing desk','L-Shaped Oak Standing Desk',r'l-shaped|oak')
X('orthopaedic dog bed olive','Orthopaedic Dog Bed in Olive',r'orthopaedic')
X('speckled porcelain pasta bowl set','Speckled Porcelain Pasta Bowl Set',r'speckled|porcelain')
X('heirloom tomato seed collection','Heirloom Tomato Seed Collection',None,rest=0,extra={p['sku']:1 for p in T('Seed Collection') if re.search('Salad Greens|Herb Garden',p['name'])})
X('arc brass floor lamp','Arc Brass Floor Lamp',r'\barc\b|brass')
X('memory foam travel pillow in sage','Memory Foam Travel Pillow in Sage',r'memory foam')
X('pearl 14k gold pendant necklace','Pearl 14k Gold Pendant Necklace',r'pearl|14k')
X('expedition down jacket ember orange','Expedition Down Jacket in Ember Orange',r'expedition|puffer|hooded')
X('belt-drive aluminium turntable','Belt-Drive Aluminium Turntable',r'belt-drive|aluminium')
X('insulated snowsuit in mustard','Insulated Snowsuit in Mustard',r'insulated|in mustard')

# ---------------- ATTRIBUTE ----------------
def R(kind,query,rules,cap=None):
    """rules: list of (grade, predicate). highest grade wins."""
    rel={}
    for p in P:
        for g,f in rules:
            if f(p): rel[p['sku']]=max(rel.get(p['sku'],0),g)
    addq(kind,query,rel)
def is_(t,cat=None): return lambda p: p['type']==t and (cat is None or p['category']==cat)
def mat(*ms): return lambda p: (A(p,'material') or '') in ms
def col(*cs): return lambda p: (A(p,'color') or '') in cs
def met(*ms): return lambda p: (A(p,'metal') or '') in ms
def nm(pat): return lambda p: re.search(pat,p['name'],re.I) is not None
def ds(pat): return lambda p: re.search(pat,p['description'],re.I) is not None
def AND(*fs): return lambda p: all(f(p) for f in fs)
def OR(*fs): return lambda p: any(f(p) for f in fs)
def NOT(f): return lambda p: not f(p)
def sku(*ss): return lambda p: p['sku'] in ss
def cat(*cs): return lambda p: p['category'] in cs
def typ(*ts): return lambda p: p['type'] in ts

R('attribute','black walnut cutting board',[(3,AND(is_('Cutting Board'),mat('black walnut'))),(1,is_('Cutting Board'))])
R('attribute','merino wool cardigan',[(3,AND(is_('Cardigan'),mat('merino wool'))),(2,AND(is_('Cardigan'),mat('wool'))),(1,is_('Cardigan')),(1,AND(is_('Sweater','womens-clothing'),mat('merino wool')))])
R('attribute','linen sheet set',[(3,AND(is_('Sheet Set'),mat('linen'))),(1,is_('Sheet Set')),(1,AND(is_('Duvet Cover'),mat('linen')))])
R('attribute','cast iron skillet',[(3,AND(is_('Skillet'),mat('cast iron'))),(1,AND(is_('Skillet'),mat('carbon steel'))),(1,AND(cat('cookware'),NOT(is_('Skillet')),mat('cast iron')))])
R('attribute','leather weekender bag',[(3,AND(is_('Weekender Bag'),mat('full-grain leather'))),(1,is_('Weekender Bag'))])
R('attribute','sterling silver hoop earrings',[(3,AND(is_('Hoop Earrings'),met('sterling silver'))),(1,is_('Hoop Earrings')),(1,AND(is_('Stud Earrings'),met('sterling silver')))])
R('attribute','oak dining table',[(3,AND(is_('Dining Table'),mat('white oak'))),(1,is_('Dining Table'))])
R('attribute','cashmere sweater',[(3,AND(typ('Sweater','Crewneck Sweater'),mat('cashmere'))),(2,AND(is_('Cardigan'),mat('cashmere'))),(1,typ('Sweater','Crewneck Sweater'))])
R('attribute','waterproof hiking boots',[(3,AND(is_('Hiking Boots'),OR(nm('waterproof'),ds('waterproof membrane')))),(2,is_('Hiking Boots')),(1,AND(is_('Trail Running Shoes'),nm('waterproof')))])
R('attribute','merino wool beanie',[(3,AND(is_('Beanie'),mat('merino wool'))),(2,AND(is_('Beanie'),mat('wool','cashmere'))),(1,is_('Beanie'))])
R('attribute','recycled polyester laptop backpack',[(3,AND(is_('Laptop Backpack'),mat('recycled polyester'))),(1,is_('Laptop Backpack'))])
R('attribute','stoneware mug set',[(3,AND(is_('Mug Set'),mat('stoneware'))),(2,is_('Mug Set'))])
R('attribute','copper gooseneck kettle',[(3,AND(is_('Gooseneck Kettle'),mat('copper'))),(2,AND(is_('Gooseneck Kettle'),col('copper'))),(1,is_('Gooseneck Kettle'))])
R('attribute','cork yoga block',[(3,AND(is_('Yoga Block'),mat('cork'))),(1,is_('Yoga Block')),(1,AND(cat('yoga'),mat('cork')))])
R('attribute','rattan pendant light',[(3,AND(is_('Pendant Light'),mat('rattan'))),(2,nm('Woven Pendant')),(1,is_('Pendant Light')),(1,AND(cat('lighting'),mat('rattan')))])
R('attribute','brass desk lamp',[(3,AND(is_('Desk Lamp'),mat('solid brass'))),(1,is_('Desk Lamp'))])
R('attribute','titanium camping cookware',[(3,AND(is_('Cook Set'),mat('titanium'))),(2,AND(is_('Camp Stove'),mat('titanium'))),(1,is_('Cook Set'))])
R('attribute','silk pillowcase in sage',[(3,AND(is_('Silk Pillowcase'),col('sage'))),(2,is_('Silk Pillowcase'))])
R('attribute','velvet throw pillow',[(3,AND(is_('Throw Pillow'),mat('velvet'))),(1,is_('Throw Pillow'))])
R('attribute','vegan leather wallet',[(3,AND(is_('Wallet'),mat('vegan leather'))),(1,is_('Wallet')),(1,AND(is_('Passport Wallet'),mat('vegan leather')))])
R('attribute','leather dog collar',[(3,AND(is_('Dog Collar'),mat('full-grain leather'))),(1,is_('Dog Collar')),(1,AND(is_('Dog Lead'),mat('full-grain leather')))])
R('attribute','dive watch with blue dial',[(3,AND(is_('Dive Watch'),col('blue dial'))),(2,is_('Dive Watch')),(1,AND(cat('watches'),col('blue dial')))])
R('attribute','linen wrap dress',[(3,AND(is_('Wrap Dress'),mat('linen'))),(1,is_('Wrap Dress'))])
R('attribute','terracotta planter',[(3,AND(is_('Planter'),mat('terracotta'))),(2,AND(is_('Planter'),col('terracotta'))),(1,is_('Planter'))])
R('attribute','16 kg kettlebell',[(3,AND(is_('Kettlebell'),lambda p:A(p,'weight_kg')==16)),(1,is_('Kettlebell'))])
R('attribute','carbon fibre trekking poles',[(3,AND(is_('Trekking Poles'),mat('carbon fibre'))),(1,is_('Trekking Poles'))])
R('attribute','stainless steel french press',[(3,AND(is_('French Press'),mat('stainless steel'))),(1,is_('French Press'))])
# ---------------- INTENT ----------------
def txt(pat): return lambda p: re.search(pat,p['name']+' '+p['description'],re.I) is not None
def use(*us): return lambda p: (A(p,'use') or '') in us
def ki(*ks): return lambda p: (A(p,'key_ingredient') or '') in ks
def num(k,op,v): return lambda p: A(p,k) is not None and op(float(A(p,k)),v)
import operator as O
I=lambda q,rules: R('intent',q,rules)

I('stylish summer shoes',[
  (3,AND(is_('Sandals'),NOT(mat('natural rubber')))),
  (2,AND(is_('Sandals'),mat('natural rubber'))),
  (1,AND(is_('Sneakers'),NOT(nm('High-Top'))))])
I('sandals for the beach',[
  (3,AND(is_('Sandals'),mat('natural rubber','cork'))),
  (1,is_('Sandals'))])
I('gift for a tea lover',[
  (3,is_('Teapot')),(3,is_('Loose-Leaf Tea')),
  (1,AND(is_('Gooseneck Kettle'),use('green tea at the right temperature','tea ceremonies')))])
I('gear for sleeping outdoors in the cold',[
  (3,AND(is_('Sleeping Bag'),num('comfort_rating_c',O.le,-2))),
  (2,AND(is_('Sleeping Bag'),nm('Winter'))),
  (1,is_('Sleeping Bag')),
  (3,AND(is_('Sleeping Pad'),num('r_value',O.ge,4.5))),
  (2,AND(is_('Sleeping Pad'),num('r_value',O.ge,3.5))),
  (1,is_('Sleeping Pad'))])
I('help my back while working at a desk',[
  (3,is_('Standing Desk')),
  (3,AND(is_('Office Chair'),OR(nm('Ergonomic'),ds('lumbar')))),
  (2,is_('Office Chair')),
  (2,AND(is_('Foam Roller'),use('desk-job backs'))),
  (1,is_('Foam Roller'))])
I('present for a new baby',[
  (3,is_('Baby Blanket')),(3,is_('Romper')),
  (2,AND(is_('Plush Toy'),OR(lambda p:A(p,'age_range')=='birth',use('newborn gifts')))),
  (1,is_('Plush Toy'))])
I('keep my dog entertained',[
  (3,AND(is_('Chew Toy'),OR(nm('Treat|Puzzle'),ds('treat-dispensing')))),
  (2,is_('Chew Toy'))])
I('bag for taking my computer to work',[
  (3,is_('Laptop Backpack')),
  (2,AND(is_('Pannier'),use('commuting with a laptop'))),
  (1,AND(is_('Tote Bag'),ds('laptop'))),
  (1,AND(is_('Crossbody Bag'),ds('laptop')))])
I('keep my hands warm on winter bike rides',[
  (3,AND(is_('Cycling Gloves'),nm('Winter'))),
  (2,AND(is_('Cycling Gloves'),NOT(nm('Fingerless')),mat('softshell','full-grain leather'))),
  (2,is_('Insulated Gloves')),
  (1,is_('Cycling Gloves'))])
I('stay visible when cycling at night',[
  (3,is_('Bike Light Set')),
  (2,AND(cat('cycling'),col('hi-vis yellow'),typ('Cycling Helmet','Cycling Jersey'))),
  (1,AND(cat('cycling'),col('hi-vis yellow'))),
  (1,AND(cat('cycling'),ds('reflective')))])
I('stop thieves taking my bicycle',[(3,is_('Bike Lock'))])
I('I sleep hot and want to stay cool at night',[
  (3,AND(is_('Sheet Set'),mat('cotton percale','linen','bamboo lyocell'))),
  (2,AND(is_('Sheet Set'),OR(nm('Cooling'),use('hot summer nights')))),
  (2,AND(is_('Mattress Topper'),nm('Cooling'))),
  (1,is_('Sheet Set')),
  (1,AND(is_('Duvet Cover'),mat('cotton percale','linen'))),
  (1,is_('Silk Pillowcase'))])
I('my skin gets really dry in winter',[
  (3,AND(is_('Moisturiser'),use('dry winter skin'))),
  (2,AND(is_('Moisturiser'),ki('shea butter','ceramides'))),
  (2,AND(is_('Body Lotion'),use('dry elbows and legs'))),
  (1,is_('Moisturiser')),(1,is_('Body Lotion')),
  (1,AND(is_('Lip Balm Set'),use('chapped winter lips')))])
I('tame my frizz',[
  (3,AND(is_('Hair Oil'),use('frizz'))),
  (2,is_('Hair Oil')),
  (2,AND(is_('Silk Pillowcase'),use('frizz-free mornings'))),
  (1,is_('Silk Pillowcase'))])
I('my lips are cracked and sore',[
  (3,AND(is_('Lip Balm Set'),use('chapped winter lips'))),
  (3,AND(is_('Lip Balm Set'),NOT(nm('Tinted')))),
  (2,is_('Lip Balm Set'))])
I('keep my suitcase organised',[
  (3,is_('Packing Cubes')),
  (2,is_('Toiletry Bag'))])
I('comfortable long-haul flight',[
  (3,is_('Travel Pillow')),
  (2,is_('Noise-Cancelling Headphones')),
  (2,AND(is_('Wireless Earbuds'),nm('Noise-Cancelling')))])
I('play my old vinyl records',[
  (3,is_('Turntable')),
  (1,AND(is_('Bookshelf Speakers'),use('home hi-fi')))])
I('music for a pool party',[
  (3,AND(is_('Bluetooth Speaker'),nm('Waterproof'))),
  (2,AND(is_('Bluetooth Speaker'),nm('Outdoor'))),
  (1,is_('Bluetooth Speaker'))])
I('shut out the racket on my train commute',[
  (3,is_('Noise-Cancelling Headphones')),
  (3,AND(is_('Wireless Earbuds'),nm('Noise-Cancelling'))),
  (1,AND(is_('Wireless Earbuds'),use('commuting')))])
I('my kitten keeps clawing the sofa',[(3,is_('Cat Scratcher'))])
I('my elderly pup has stiff achy joints',[
  (3,AND(is_('Dog Bed'),OR(nm('Orthopaedic'),ds('orthopaedic memory-foam')))),
  (2,AND(is_('Dog Bed'),OR(use('senior dogs with stiff joints'),ds('senior dogs with stiff joints')))),
  (1,is_('Dog Bed'))])
I('hosting friends for drinks and a cheese board',[
  (3,is_('Wine Glass Set')),
  (2,AND(is_('Serving Platter'),use('charcuterie and cheese','grazing boards'))),
  (1,is_('Serving Platter')),
  (1,AND(is_('Cutting Board'),use('serving cheese and bread')))])
I('bake my own bread at home',[
  (3,AND(is_('Loaf Pan'),use('sandwich loaves'))),
  (2,is_('Loaf Pan')),
  (2,AND(is_('Dutch Oven'),use('no-knead bread'))),
  (2,AND(is_('Mixing Bowl Set'),use('proofing bread'))),
  (1,is_('Mixing Bowl Set')),
  (1,AND(is_('Kitchen Scale'),txt('baking|baker'))),
  (1,AND(is_('Tea Towel Set'),txt('proofing dough')))])
I('cook a stir fry at home',[
  (3,is_('Wok')),
  (1,AND(is_('Skillet'),use('weeknight stir-fries')))])
I('light for reading in bed',[
  (3,AND(is_('Wall Sconce'),use('bedside reading'))),
  (3,AND(is_('Table Lamp'),use('bedside tables'))),
  (2,AND(is_('Table Lamp'),nm('Bedside'))),
  (2,AND(is_('Wall Sconce'),nm('Swing-Arm|Plug-In'))),
  (1,is_('Table Lamp'))])
I('lighting for a camping trip',[
  (3,is_('Headlamp')),
  (3,AND(is_('Lantern'),use('camping trips'))),
  (2,AND(is_('Lantern'),nm('Rechargeable|Solar'))),
  (1,is_('Lantern'))])
I('keep my toddler dry when jumping in puddles',[
  (3,is_("Kids' Rain Jacket"))])
I('screen-free evening with the family',[
  (3,is_('Board Game')),
  (2,is_('Jigsaw Puzzle'))])
I('pretend cooking toy for a toddler',[(3,is_('Play Kitchen Set'))])
I('start meditating at home',[
  (3,is_('Meditation Cushion')),
  (2,is_('Bolster'))])
I('somewhere to keep my timepieces organised',[
  (3,AND(is_('Watch Box'),NOT(nm('Travel')))),
  (2,is_('Watch Box'))])
I('start a daily journaling habit',[
  (3,is_('Notebook')),
  (2,is_('Fountain Pen'))])
I('warm layer for winter hiking',[
  (3,is_('Down Jacket')),
  (2,is_('Fleece Jacket'))])
I('stay dry on a rainy hike',[
  (3,is_('Rain Jacket')),
  (2,AND(is_('Hiking Boots'),OR(nm('Waterproof'),ds('waterproof membrane')))),
  (1,AND(is_('Trail Running Shoes'),nm('Waterproof')))])
I('my feet are cold on the floor in the morning',[
  (3,is_('Slippers')),
  (2,AND(is_('Wool Socks'),use('cosy nights in'))),
  (1,is_('Wool Socks'))])
I('my dog sheds everywhere',[
  (3,AND(is_('Grooming Brush'),OR(nm('Deshedding'),use('shedding season')))),
  (2,AND(is_('Grooming Brush'),use('double-coated dogs'))),
  (1,is_('Grooming Brush'))])
I('protect my hands while pruning roses',[
  (3,AND(is_('Gardening Gloves'),nm('Thorn-Proof|Gauntlet'))),
  (2,AND(is_('Gardening Gloves'),mat('full-grain leather'))),
  (2,AND(is_('Gardening Gloves'),use('rose pruning'))),
  (1,is_('Gardening Gloves'))])

# ---------------- TYPO ----------------
Ty=lambda q,rules: R('typo',q,rules)
Ty('cuting board',[(3,is_('Cutting Board')),(1,AND(is_('Serving Platter'),mat('acacia')))])
Ty('headfones',[(3,is_('Noise-Cancelling Headphones')),(1,is_('Wireless Earbuds'))])
Ty('sleping bag',[(3,is_('Sleeping Bag')),(1,is_('Sleeping Pad'))])
Ty('kettelbel',[(3,is_('Kettlebell')),(1,is_('Adjustable Dumbbell'))])
Ty('yoga matt',[(3,is_('Yoga Mat')),(1,is_('Yoga Block'))])
Ty('frensh press',[(3,is_('French Press')),(1,is_('Pour-Over Dripper'))])
Ty('chelsae boots',[(3,is_('Chelsea Boots')),(1,is_('Hiking Boots'))])
Ty('duvet cuver',[(3,is_('Duvet Cover')),(1,is_('Duvet'))])
Ty('pruning sheers',[(3,is_('Pruning Shears'))])
Ty('blutooth speeker',[(3,is_('Bluetooth Speaker')),(1,is_('Bookshelf Speakers'))])

import os
if __name__=='__main__':
    import collections
    out=os.path.join(os.path.dirname(os.path.abspath(__file__)),'queries.jsonl')
    import os; os.makedirs(os.path.dirname(out),exist_ok=True)
    with open(out,'w') as f:
        for i,q in enumerate(Q,1):
            f.write(json.dumps({'id':f'q{i:03d}','kind':q['kind'],'query':q['query'],'relevant':q['relevant']},ensure_ascii=False)+'\n')
    c=collections.Counter(q['kind'] for q in Q)
    print(len(Q),c,'avg rel',sum(len(q['relevant']) for q in Q)/len(Q),'max',max(len(q['relevant']) for q in Q),'min',min(len(q['relevant']) for q in Q))
    for k in c: print(k, sum(len(q['relevant']) for q in Q if q['kind']==k)/c[k])
