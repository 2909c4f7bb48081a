// Forms with data-confirm ask before submitting. A listener rather than an inline onsubmit
// handler: the Content-Security-Policy allows no inline script. window.confirm is named in full
// because a form field called "confirm" would shadow a bare confirm() inside a handler.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
