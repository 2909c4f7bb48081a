"""The starter sequence in French: each step's translation, by the step's label (starter.py)."""

from __future__ import annotations

_JOIN = "{% if session.join_url %}\nRejoignez-nous ici : {{ session.join_url }}{% endif %}"

STEPS: dict[str, dict] = {
    "Interest poll": {
        "body": "Bonjour {{ first_name }}, c'est {{ trainer.name }}. {{ session.title }} commence "
        "{{ session.starts_in }} et j'aimerais l'adapter à vos besoins. Qu'en attendez-vous le plus ? "
        "Répondez par un chiffre :\n{{ choices }}",
        "choices": [
            "Des techniques utilisables dès le lendemain",
            "Gérer les situations délicates",
            "Les idées de fond",
            "Beaucoup de temps pour pratiquer",
        ],
    },
    "A past participant's words": {
        "body": "{{ first_name }}, voici ce qu'un participant m'a dit après {{ session.title }} la dernière fois : "
        "{% if testimonial %}{{ testimonial }}{% else %}« J'ai essayé une idée en réunion dès le lendemain matin, et "
        "toute la conversation a changé. »{% endif %} Apportez une situation réelle que vous vivez ; nous la "
        "travaillerons ensemble. À {{ session.starts_at }}."
    },
    "Three questions before": {
        "subject": "Trois questions avant {{ session.title }}",
        "body": """Bonjour {{ first_name }},

{{ session.title }} commence {{ session.starts_in }} ({{ session.starts_at }}). Avant de nous retrouver, prenez cinq minutes pour ces questions. Il n'y a pas de mauvaise réponse, et vos réponses m'aident à consacrer notre temps à ce qui compte pour vous :

1. Pensez à un moment récent au travail où ce sujet a compté. Que s'est-il passé, et qu'auriez-vous aimé faire autrement ?
2. Qu'est-ce que vous faites déjà bien ici et dont les autres pourraient s'inspirer ?
3. Si vous pouviez repartir de la session en sachant faire une chose nouvelle, laquelle serait-ce ?

Répondez simplement à cet e-mail. Une phrase ou deux par question suffisent, et je lis chaque réponse.
{%- if session.join_url %}

Voici le lien pour nous rejoindre : {{ session.join_url }}
{%- endif %}

À bientôt,
{{ trainer.name }}""",
    },
    "What others said before": {
        "subject": "Ce que les autres ont dit avant {{ session.title }}",
        "body": """Bonjour {{ first_name }},

Avant de nous retrouver, voici ce que certains d'entre vous ont répondu aux questions envoyées hier :
{% for answer in answers %}
- « {{ answer.text }} » ({{ answer.by }})
{%- endfor %}

Lire les réponses des autres, c'est la moitié de l'intérêt. À {{ session.starts_at }}.
{{ trainer.name }}""",
    },
    "Text your questions": {
        "body": "Bonjour {{ first_name }} ! {{ session.title }} commence. Si une question vous vient, envoyez-la par "
        "SMS au {{ sms_number or \"ce numéro\" }}. Elle arrive sur mon écran et j'y répondrai ; aucune question n'est "
        "trop petite." + _JOIN
    },
    "Practice assignment": {
        "subject": "Votre exercice pratique après {{ session.title }}",
        "body": """Bonjour {{ first_name }},

Merci d'avoir participé à {{ session.title }}. Les idées restent quand on les utilise dans les jours qui suivent ; voici donc un petit exercice pour cette semaine :

Choisissez une vraie conversation dans les cinq prochains jours où vous pourrez essayer une technique de la session. Avant, décidez ce que vous ferez différemment. Après, notez ce qui s'est passé.

Puis répondez à cet e-mail en trois lignes :
- Ce que j'ai essayé :
- Comment ça s'est passé :
- Ce que je changerais la prochaine fois :

Je lis chaque réponse et je répondrai aux questions qui se posent. Dans les semaines qui viennent, vous recevrez quelques courts rappels ; ils prennent une minute, et ce sont eux qui font que l'apprentissage reste.

{{ trainer.name }}""",
        "follow_up": {
            "body": "Bonjour {{ first_name }}, comment s'est passé votre exercice après {{ session.title }} ? Une "
            "ligne suffit : qu'avez-vous essayé ?"
        },
    },
    "Quiz: what makes a skill stick": {
        "body": "Petite question sur {{ session.title }}, {{ first_name }} : qu'est-ce qui ancre le mieux une nouvelle "
        "compétence ?\n{{ reply_hint }}",
        "choices": [
            "Relire ses notes",
            "L'essayer en situation réelle dans les jours qui suivent",
            "Attendre de se sentir prêt",
        ],
        "explain": "Utiliser une idée vite, pour de vrai, c'est ce qui la fait rester. Relire semble utile mais s'oublie "
        "vite.",
    },
    "Nudge to practise": {
        "body": "Petit rappel, {{ first_name }} : avez-vous trouvé le moment d'essayer quelque chose de "
        "{{ session.title }} ? Un petit essai compte. Répondez-moi pour me dire comment ça s'est passé."
    },
    "Who tried it this week": {
        "body": "{{ first_name }}, {{ answers | length }} personnes du groupe ont essayé cette semaine :{% for answer in answers %}\n- « {{ answer.text }} » ({{ answer.by }}){% endfor %}\nÀ votre tour ?"
    },
    "One-week check-in": {
        "body": "Bonjour {{ first_name }}, une semaine après {{ session.title }} : comment s'est passée votre pratique ? "
        "Répondez avec une chose essayée et ce qui s'est passé. {{ trainer.name }}"
    },
    "Quiz: when it went badly": {
        "body": "{{ first_name }}, encore une sur {{ session.title }} : vous avez essayé quelque chose de nouveau et ça "
        "s'est mal passé. Et maintenant ?\n{{ reply_hint }}",
        "choices": [
            "Revenir à l'ancienne méthode",
            "Changer une chose et réessayer",
            "Attendre la prochaine formation",
        ],
        "explain": "Un premier essai réussit rarement. Ajustez une chose et recommencez : c'est ainsi que la compétence "
        "se construit.",
    },
    "Second nudge": {
        "body": "{{ first_name }}, dix jours après {{ session.title }} : essayez une idée une deuxième fois cette "
        "semaine, un peu mieux que la première. Laquelle choisissez-vous ?"
    },
    "A month on": {
        "subject": "Un mois après : que reste-t-il de {{ session.title }} ?",
        "body": """Bonjour {{ first_name }},

Cela fait un mois depuis {{ session.title }}. C'est le bon moment pour faire le point, car ce que vous utilisez encore après un mois, c'est ce que vous garderez.

Trois courtes questions :

1. Qu'est-ce que vous faites désormais sans y penser ?
2. Qu'avez-vous essayé qui n'a pas marché, et qu'en avez-vous appris ?
3. Qu'est-ce qui vous aiderait à aller plus loin : une session de suivi, une ressource, une discussion avec votre responsable ?

Répondez avec ce qui vous vient. Merci pour vos efforts.

{{ trainer.name }}""",
    },
}
