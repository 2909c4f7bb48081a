"""The starter sequence in Spanish: each step's translation, by the step's label (starter.py)."""

from __future__ import annotations

_JOIN = "{% if session.join_url %}\nEntra aquí: {{ session.join_url }}{% endif %}"

STEPS: dict[str, dict] = {
    "Interest poll": {
        "body": "Hola {{ first_name }}, soy {{ trainer.name }}. {{ session.title }} empieza {{ session.starts_in }} y "
        "quiero adaptarla a ti. ¿Qué es lo que más esperas de la sesión? Responde con un número:\n{{ choices }}",
        "choices": [
            "Técnicas que pueda usar al día siguiente",
            "Cómo manejar las situaciones difíciles",
            "La idea de fondo",
            "Mucho tiempo para practicar",
        ],
    },
    "A past participant's words": {
        "body": "{{ first_name }}, algo que me contó un participante después de {{ session.title }} la última vez: "
        '{% if testimonial %}{{ testimonial }}{% else %}"Probé una idea en una reunión a la mañana siguiente y toda '
        'la conversación cambió."{% endif %} Trae una situación real a la que te enfrentes; la trabajaremos juntos. '
        "Nos vemos el {{ session.starts_at }}."
    },
    "Three questions before": {
        "subject": "Tres preguntas antes de {{ session.title }}",
        "body": """Hola {{ first_name }}:

{{ session.title }} empieza {{ session.starts_in }} ({{ session.starts_at }}). Antes de vernos, dedica cinco minutos a estas preguntas. No hay respuestas incorrectas y lo que me cuentes me ayuda a dedicar el tiempo a lo que te importa:

1. Piensa en un momento reciente del trabajo en el que este tema fue importante. ¿Qué pasó y qué te habría gustado hacer de otra manera?
2. ¿Qué haces ya bien en este tema que otros podrían aprender de ti?
3. Si pudieras salir de la sesión sabiendo hacer una cosa nueva, ¿cuál sería?

Solo tienes que responder a este correo. Una o dos frases por pregunta bastan, y leo todas las respuestas.
{%- if session.join_url %}

Este es el enlace para entrar: {{ session.join_url }}
{%- endif %}

Nos vemos allí,
{{ trainer.name }}""",
    },
    "What others said before": {
        "subject": "Lo que dijeron otros antes de {{ session.title }}",
        "body": """Hola {{ first_name }}:

Antes de vernos, esto es lo que algunos respondieron a las preguntas que envié ayer:
{% for answer in answers %}
- "{{ answer.text }}" ({{ answer.by }})
{%- endfor %}

Leer las respuestas de los demás es la mitad del valor. Nos vemos el {{ session.starts_at }}.
{{ trainer.name }}""",
    },
    "Text your questions": {
        "body": "¡Hola {{ first_name }}! {{ session.title }} está empezando. Si te surge una pregunta, envíala por SMS "
        'a {{ sms_number or "este número" }}. Me llega a la pantalla y la responderé; ninguna pregunta es demasiado '
        "pequeña." + _JOIN
    },
    "Practice assignment": {
        "subject": "Tu práctica de {{ session.title }}",
        "body": """Hola {{ first_name }}:

Gracias por participar en {{ session.title }}. Las ideas se quedan cuando las usas en pocos días, así que aquí tienes una pequeña tarea para esta semana:

Elige una conversación real en los próximos cinco días en la que puedas probar una técnica de la sesión. Antes, decide qué vas a hacer diferente. Después, anota qué pasó.

Luego responde a este correo con tres líneas:
- Qué probé:
- Cómo fue:
- Qué cambiaría la próxima vez:

Leo todas las respuestas y contestaré las preguntas que surjan. En las próximas semanas recibirás algunos recordatorios breves; llevan un minuto y son lo que hace que el aprendizaje se quede.

{{ trainer.name }}""",
        "follow_up": {
            "body": "Hola {{ first_name }}, ¿qué tal fue tu práctica de {{ session.title }}? Basta una línea: "
            "¿qué probaste?"
        },
    },
    "Quiz: what makes a skill stick": {
        "body": "Repaso rápido de {{ session.title }}, {{ first_name }}: ¿qué hace que una nueva habilidad se quede "
        "mejor?\n{{ reply_hint }}",
        "choices": ["Releer tus notas", "Probarla en una situación real en pocos días", "Esperar a sentirte preparado"],
        "explain": "Usar una idea pronto, de verdad, es lo que hace que se quede. Releer parece útil, pero se olvida "
        "rápido.",
    },
    "Nudge to practise": {
        "body": "Un recordatorio, {{ first_name }}: ¿ya encontraste el momento de probar algo de {{ session.title }}? "
        "Un pequeño intento cuenta. Responde y cuéntame cómo fue."
    },
    "Who tried it this week": {
        "body": '{{ first_name }}, {{ answers | length }} personas del grupo lo probaron esta semana:{% for answer in answers %}\n- "{{ answer.text }}" ({{ answer.by }}){% endfor %}\n¿Te toca?'
    },
    "One-week check-in": {
        "body": "Hola {{ first_name }}, ha pasado una semana desde {{ session.title }}. ¿Qué tal fue tu práctica? "
        "Responde con una cosa que probaste y qué pasó. {{ trainer.name }}"
    },
    "Quiz: when it went badly": {
        "body": "{{ first_name }}, otra más de {{ session.title }}: probaste algo nuevo y salió mal. ¿Y ahora?"
        "\n{{ reply_hint }}",
        "choices": ["Volver a lo de antes", "Cambiar una cosa y volver a intentarlo", "Esperar a la próxima formación"],
        "explain": "Un primer intento rara vez sale bien. Ajusta una cosa y vuelve a probar: así se forma la habilidad.",
    },
    "Second nudge": {
        "body": "{{ first_name }}, diez días después de {{ session.title }}: prueba una idea por segunda vez esta "
        "semana, un poco mejor que la primera. ¿Cuál será?"
    },
    "A month on": {
        "subject": "Un mes después: ¿qué se ha quedado de {{ session.title }}?",
        "body": """Hola {{ first_name }}:

Ha pasado un mes desde {{ session.title }}. Es un buen momento para mirar atrás, porque lo que sigues usando al cabo de un mes es lo que conservarás.

Tres preguntas breves:

1. ¿Qué de la sesión haces ahora sin pensarlo?
2. ¿Qué probaste que no funcionó y qué aprendiste de ello?
3. ¿Qué te ayudaría a ir más lejos: una sesión de seguimiento, un recurso, una conversación con tu responsable?

Responde con lo que se te ocurra. Gracias por el esfuerzo.

{{ trainer.name }}""",
    },
}
