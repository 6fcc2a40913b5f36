"""Word pools for the synthetic demo catalog: names, titles and blurbs that read like films.

Kept apart from the generator so the generator reads as a model, not as a thesaurus.
"""
from __future__ import annotations

GENRES = [
    "Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Family",
    "Fantasy", "History", "Horror", "Music", "Mystery", "Romance", "Science Fiction", "Thriller",
    "War", "Western",
]

# Relative frequency of each genre as a film's first genre.
GENRE_WEIGHTS = {
    "Action": 9, "Adventure": 5, "Animation": 3, "Comedy": 12, "Crime": 6, "Documentary": 3,
    "Drama": 16, "Family": 3, "Fantasy": 3, "History": 2, "Horror": 6, "Music": 2, "Mystery": 3,
    "Romance": 7, "Science Fiction": 5, "Thriller": 8, "War": 2, "Western": 2,
}

# Multiplier on the typical budget of a genre (action and science fiction cost more).
GENRE_BUDGET = {
    "Action": 2.2, "Adventure": 2.0, "Animation": 2.0, "Science Fiction": 2.0, "Fantasy": 1.8,
    "War": 1.5, "History": 1.3, "Family": 1.3, "Western": 1.1, "Thriller": 1.0, "Crime": 0.9,
    "Comedy": 0.8, "Mystery": 0.8, "Romance": 0.7, "Music": 0.7, "Drama": 0.6, "Horror": 0.45,
    "Documentary": 0.15,
}

# Genre effect on the film's latent quality (critics favour some genres).
GENRE_QUALITY = {
    "Documentary": 0.35, "Drama": 0.25, "History": 0.25, "War": 0.2, "Animation": 0.15,
    "Crime": 0.1, "Music": 0.1, "Mystery": 0.05, "Science Fiction": 0.0, "Western": 0.0,
    "Thriller": -0.05, "Romance": -0.05, "Adventure": -0.05, "Fantasy": -0.1, "Family": -0.1,
    "Action": -0.15, "Comedy": -0.15, "Horror": -0.35,
}

LANGUAGES = {  # code: (weight, budget multiplier, name-pool region)
    "en": (70, 1.0, "en"), "fr": (6, 0.35, "fr"), "es": (5, 0.3, "es"), "hi": (5, 0.2, "in"),
    "ja": (4, 0.35, "ja"), "ko": (3, 0.3, "ko"), "ml": (2, 0.08, "in"), "it": (2, 0.3, "it"),
    "de": (2, 0.35, "de"), "ta": (1, 0.1, "in"),
}

FIRST_NAMES = {
    "en": ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
           "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
           "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
           "Mark", "Margaret", "Paul", "Sandra", "Steven", "Ashley", "Andrew", "Emily", "Joshua",
           "Donna", "Kevin", "Michelle", "Brian", "Carol", "George", "Amanda", "Edward", "Melissa",
           "Ronald", "Deborah", "Timothy", "Stephanie", "Jason", "Rebecca", "Ryan", "Laura", "Owen",
           "Hazel", "Wesley", "Nora", "Calvin", "Iris", "Grant", "Vivian"],
    "fr": ["Jean", "Marie", "Pierre", "Camille", "Louis", "Chloé", "Antoine", "Léa", "Julien",
           "Manon", "Mathieu", "Juliette", "Olivier", "Élodie", "Nicolas", "Amélie", "Hugo", "Claire"],
    "es": ["Carlos", "María", "José", "Lucía", "Javier", "Carmen", "Diego", "Sofía", "Miguel",
           "Elena", "Pablo", "Isabel", "Andrés", "Valentina", "Raúl", "Paula"],
    "in": ["Arjun", "Priya", "Rahul", "Ananya", "Vikram", "Meera", "Rohan", "Kavya", "Aditya",
           "Lakshmi", "Suresh", "Divya", "Mohan", "Nithya", "Fahad", "Parvathy", "Dulquer", "Nazriya"],
    "ja": ["Hiroshi", "Yuki", "Takeshi", "Aiko", "Kenji", "Haruka", "Satoshi", "Emi", "Ryo", "Naomi",
           "Daisuke", "Sakura"],
    "ko": ["Min-jun", "Ji-woo", "Seo-yeon", "Do-hyun", "Ha-eun", "Joon-ho", "Soo-ah", "Tae-yang"],
    "it": ["Marco", "Giulia", "Luca", "Francesca", "Matteo", "Chiara", "Alessandro", "Sara"],
    "de": ["Lukas", "Anna", "Felix", "Lena", "Jonas", "Mia", "Tobias", "Hannah"],
}

LAST_NAMES = {
    "en": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
           "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
           "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Hill", "Scott", "Green",
           "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips",
           "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Reed", "Cook",
           "Bell", "Murphy", "Bailey", "Cooper", "Howard", "Ward", "Brooks", "Sanders", "Hayes",
           "Fletcher", "Holloway", "Whitaker", "Lindqvist", "Ashford", "Calloway"],
    "fr": ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefebvre", "Garnier", "Rousseau",
           "Fontaine", "Chevalier", "Mercier", "Girard"],
    "es": ["García", "Fernández", "López", "Martínez", "Sánchez", "Romero", "Navarro", "Torres",
           "Ruiz", "Morales", "Castillo", "Vega"],
    "in": ["Sharma", "Kapoor", "Nair", "Menon", "Iyer", "Reddy", "Khan", "Pillai", "Kurup",
           "Varma", "Das", "Rao", "Krishnan", "Thomas"],
    "ja": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
           "Kobayashi", "Kato"],
    "ko": ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann"],
}

TITLE_ADJECTIVES = [
    "Silent", "Broken", "Last", "Hidden", "Crimson", "Endless", "Lonely", "Golden", "Frozen",
    "Burning", "Distant", "Forgotten", "Wild", "Hollow", "Midnight", "Electric", "Quiet", "Savage",
    "Shattered", "Velvet", "Iron", "Paper", "Glass", "Restless", "Sudden", "Final", "Secret",
]
TITLE_NOUNS = [
    "Horizon", "Orbit", "Harbor", "Signal", "Kingdom", "River", "Frontier", "Echo", "Witness",
    "Shadow", "Garden", "Summer", "Winter", "Station", "Verdict", "Crossing", "Empire", "Tide",
    "Promise", "Ledger", "Lantern", "Compass", "Storm", "Mirror", "Highway", "Orchard", "Ballad",
    "Heist", "Reckoning", "Voyage",
]
TITLE_PLACES = [
    "Ashford", "Black Rock", "Marrow Creek", "the North", "Saint Clair", "Red Canyon", "Port Avalon",
    "the Valley", "Kestrel Bay", "Mercy Falls", "the Deep", "Tycho", "Kerala", "Montmartre",
]

# Blurb parts per genre: (protagonists, settings, incidents, stakes).
BLURBS = {
    "Action": (["a disgraced special-forces operative", "a retired getaway driver", "an undercover cop",
                "a bodyguard with nothing left to lose"],
               ["the rain-soaked docks of a port city", "a hijacked bullet train", "a mountain border crossing",
                "a skyscraper under lockdown"],
               ["is pulled back for one last job", "uncovers a weapons deal", "must escort a witness across hostile territory",
                "is framed for an assassination"],
               ["a race against the clock", "explosive chases and a betrayal from within", "a city held to ransom"]),
    "Adventure": (["a young cartographer", "a washed-up treasure hunter", "two estranged siblings",
                   "a stowaway on a cargo ship"],
                  ["an uncharted jungle", "the frozen Arctic", "a lost desert city", "a chain of volcanic islands"],
                  ["follows a map left by a vanished explorer", "searches for a legendary relic", "sets out to rescue a missing pilot"],
                  ["rival expeditions and unforgiving terrain", "an ancient curse", "a journey that tests every loyalty"]),
    "Animation": (["a curious robot", "a small fox with big dreams", "a lonely lighthouse keeper's daughter",
                   "a talking paper kite"],
                  ["a city of floating islands", "an enchanted forest", "a junkyard at the edge of the world"],
                  ["befriends an unlikely companion", "sets off to find its way home", "discovers a hidden world"],
                  ["a heartfelt tale about friendship", "colourful misadventures", "a lesson about courage"]),
    "Comedy": (["a hopelessly disorganised wedding planner", "two rival food-truck owners", "an awkward substitute teacher",
                "a family of competitive bakers"],
               ["a sleepy seaside town", "a chaotic holiday reunion", "a failing summer camp", "a cramped city apartment"],
               ["fakes an engagement to save face", "accidentally swaps lives with a celebrity", "inherits a haunted bed-and-breakfast"],
               ["mounting mix-ups", "a riotous road trip", "escalating misunderstandings and one very stubborn goat"]),
    "Crime": (["a weary homicide detective", "a small-time con artist", "a crime boss's accountant", "a rookie prosecutor"],
              ["the back streets of 1970s New York", "a corrupt border town", "a casino on the Las Vegas strip"],
              ["plans a heist on the biggest vault in town", "investigates a string of ritual murders", "turns informant against the mob"],
              ["a web of double-crosses", "a city where everyone is on the take", "a deadly game of cat and mouse"]),
    "Documentary": (["filmmakers", "a team of marine biologists", "a veteran war photographer", "an archive of home movies"],
                    ["the Amazon basin", "a remote Himalayan village", "the world's busiest airport"],
                    ["follow a year in the life of a community", "investigate a corporate cover-up", "trace the history of a forgotten musician"],
                    ["an intimate, eye-opening portrait", "rare footage and candid interviews"]),
    "Drama": (["a grieving widower", "a single mother working two jobs", "an ageing concert pianist", "a teenage runaway"],
              ["a Midwestern farming town", "a crowded immigrant neighbourhood", "a struggling steel town", "a family vineyard"],
              ["confronts a buried family secret", "fights to keep custody of her son", "returns home after twenty years"],
              ["a quiet, devastating study of loss", "a story of resilience and forgiveness", "the cost of ambition"]),
    "Family": (["a boy and his rescue dog", "three siblings", "a shy girl and her grandmother"],
               ["a farm threatened by developers", "a magical toy shop", "a snowed-in mountain lodge"],
               ["must win the county fair", "discover a secret passage", "try to save the town's Christmas parade"],
               ["warm-hearted fun for all ages", "a gentle adventure about belonging"]),
    "Fantasy": (["an orphaned apprentice mage", "an exiled princess", "a reluctant dragon rider", "a cursed knight"],
                ["a kingdom on the brink of war", "a realm where the sun never sets", "an enchanted labyrinth"],
                ["discovers a forbidden spell", "must unite feuding clans", "seeks the last of the elder stones"],
                ["an epic quest of sorcery and sacrifice", "ancient prophecies and dark magic"]),
    "History": (["a nineteenth-century suffragette", "a Roman centurion", "a court painter", "a railway engineer"],
                ["Victorian London", "the court of a Mughal emperor", "the American frontier in 1869"],
                ["challenges the establishment", "witnesses the fall of an empire", "races to finish the transcontinental railroad"],
                ["a sweeping period epic", "a true story that changed a nation"]),
    "Horror": (["a young couple", "a paranormal investigator", "a group of college friends", "a night-shift nurse"],
               ["an isolated farmhouse", "a decaying asylum", "a cabin deep in the woods", "a house with a sealed cellar"],
               ["are stalked by a presence that feeds on fear", "awaken something that should have stayed buried",
                "find that the previous owners never left"],
               ["dread that builds to a terrifying climax", "a nightmare with no way out"]),
    "Music": (["a garage band from Detroit", "a gifted street violinist", "a fading country singer"],
              ["the jazz clubs of Harlem", "a national talent contest", "a summer music festival"],
              ["gets one shot at a record deal", "stages a comeback tour", "writes the song of a lifetime"],
              ["a soaring soundtrack and a story of second chances"]),
    "Mystery": (["an amateur sleuth", "a retired crime novelist", "a small-town sheriff", "a forensic accountant"],
                ["a snowbound country estate", "a luxury train across Europe", "a fog-bound island"],
                ["investigates the disappearance of a wealthy heiress", "finds a body in the locked library", "decodes letters from a dead man"],
                ["a twisting whodunit where everyone has a motive", "clues hidden in plain sight"]),
    "Romance": (["a cynical food critic", "a widowed bookshop owner", "two strangers on a delayed flight", "a wedding photographer"],
                ["Paris in the spring", "a small Italian village", "a rainy Seattle summer"],
                ["falls for the one person she cannot stand", "gets a second chance at first love", "agrees to a fake relationship"],
                ["a bittersweet love story", "a charming romance about timing and fate"]),
    "Science Fiction": (["a lone astronaut", "an android who dreams", "a crew of deep-space miners", "a quantum physicist"],
                        ["a remote research station on a frozen moon", "a generation ship drifting between stars",
                         "a derelict space station", "a dystopian megacity in 2190"],
                        ["loses contact with Earth and must survive in total isolation", "receives a signal from beyond the galaxy",
                         "discovers the colony's AI is lying", "is trapped in a time loop"],
                        ["a slow-burn meditation on solitude and memory", "a mind-bending journey to the edge of the universe",
                         "first contact with an intelligence beyond understanding"]),
    "Thriller": (["a paranoid journalist", "a hostage negotiator", "an insomniac air-traffic controller", "a whistleblower"],
                 ["a high-security data centre", "a cruise ship in a storm", "a city under surveillance"],
                 ["is drawn into a deadly conspiracy", "receives anonymous threats that predict the future", "must stop a bomb plot"],
                 ["a tense, claustrophobic thriller", "nobody can be trusted"]),
    "War": (["a platoon of young recruits", "a field medic", "a resistance radio operator", "a fighter pilot"],
            ["the beaches of Normandy", "the jungles of Vietnam", "occupied Warsaw", "the trenches of the Somme"],
            ["is trapped behind enemy lines", "must deliver a message that could end the war", "holds a bridge against all odds"],
            ["a harrowing portrait of courage and survival"]),
    "Western": (["a retired gunslinger", "a frontier sheriff", "a bounty hunter", "a homesteading widow"],
                ["a dusty frontier town", "the badlands of New Mexico", "a cattle drive across Texas"],
                ["must face the outlaw gang that killed his family", "defends her land against a railroad baron", "hunts a notorious train robber"],
                ["a gritty tale of vengeance and redemption", "showdowns at high noon"]),
}

KEYWORDS = {
    "Action": ["explosion", "car chase", "martial arts", "hostage", "assassin", "revenge"],
    "Adventure": ["treasure", "expedition", "jungle", "map", "quest", "survival"],
    "Animation": ["talking animals", "friendship", "robot", "magic", "coming of age"],
    "Comedy": ["wedding", "road trip", "mistaken identity", "family reunion", "slapstick"],
    "Crime": ["heist", "mafia", "detective", "corruption", "murder", "undercover"],
    "Documentary": ["interview", "nature", "true story", "investigation", "archive footage"],
    "Drama": ["grief", "family secret", "redemption", "poverty", "ambition", "small town"],
    "Family": ["dog", "christmas", "siblings", "grandmother", "adventure"],
    "Fantasy": ["dragon", "wizard", "prophecy", "sword", "kingdom", "curse"],
    "History": ["biography", "empire", "revolution", "period piece", "true story"],
    "Horror": ["haunted house", "possession", "cabin", "slasher", "ghost", "cult"],
    "Music": ["band", "concert", "singer", "talent show", "jazz"],
    "Mystery": ["whodunit", "locked room", "disappearance", "detective", "island"],
    "Romance": ["love triangle", "paris", "wedding", "second chance", "fake relationship"],
    "Science Fiction": ["space", "isolation", "artificial intelligence", "time loop", "alien", "dystopia"],
    "Thriller": ["conspiracy", "surveillance", "bomb", "kidnapping", "paranoia"],
    "War": ["world war ii", "soldier", "resistance", "battle", "vietnam"],
    "Western": ["gunslinger", "sheriff", "outlaw", "frontier", "revenge"],
}
