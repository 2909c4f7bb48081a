// Buttons with data-copy="<field id>" copy that field's value to the clipboard.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.getElementById(button.dataset.copy);
    field.select();
    (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject()).then(
      function () { button.textContent = "Copied"; }, function () { document.execCommand("copy"); button.textContent = "Copied"; });
  });
});
